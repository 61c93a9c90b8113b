// Benchmark (issue 18): messages per second through a `nats` proxy (no toxic, and with a toxic
// that matches nothing, which takes the per-frame path) vs a plain `tcp` proxy vs straight to
// nats-server, in one run.
// Each measurement publishes `--messages` 128-byte messages on one connection and waits until a
// subscriber on another connection got them all; `rounds` rounds in rotating order after a
// warm-up, the median round reported, with the ratio to direct. Needs `npm run build` and
// Debian's nats-server (skips with one line without it).
//
//   node bench/nats-proxy.mjs [--messages 100000] [--rounds 3]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const messages = arg('messages', 100_000);
const rounds = arg('rounds', 3);

if (spawnSync('nats-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('nats-proxy: skipped, nats-server is not on PATH (apt-get install -y nats-server)');
  process.exit(0);
}

function startNats() {
  const store = mkdtempSync(path.join(tmpdir(), 'agentcheck-bench-nats-'));
  const proc = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1', '-js', '-sd', store], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    proc.stderr.on('data', (c) => {
      log += c;
      const m = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
      if (m && /Server is ready/.test(log)) resolve({ port: Number(m[1]), stop: () => { proc.kill('SIGTERM'); rmSync(store, { recursive: true, force: true }); } });
    });
    proc.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${log}`)));
  });
}

// The proxy server runs in its own process, so it does not share an event loop with the clients.
const PROXY = (upstreamPort) => `
import { startProxyServer } from ${JSON.stringify(path.join(root, 'dist/chaos/server.js'))};
const server = await startProxyServer({ host: '127.0.0.1', port: 0, seed: 1 });
const ports = {};
for (const [name, protocol] of [['tcp', 'tcp'], ['plain', 'nats'], ['faulted', 'nats']]) {
  const res = await fetch(server.url + '/proxies', { method: 'POST', body: JSON.stringify({ name, listen: '127.0.0.1:0', upstream: '127.0.0.1:${upstreamPort}', protocol }) });
  ports[name] = Number((await res.json()).listen.split(':').pop());
}
await fetch(server.url + '/proxies/faulted/toxics', { method: 'POST', body: JSON.stringify({ type: 'drop', attributes: { match: { subject: 'never.matched' } } }) });
console.log('PORTS ' + JSON.stringify(ports));
process.on('SIGTERM', async () => { await server.close(); process.exit(0); });
`;

function startProxy(upstreamPort) {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', PROXY(upstreamPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (c) => {
      buf += c;
      const m = /PORTS (\{.*\})/.exec(buf);
      if (m) resolve({ ports: JSON.parse(m[1]), stop: () => proc.kill('SIGTERM') });
    });
    proc.once('exit', (code) => reject(new Error(`proxy process exited with ${code}`)));
  });
}

/** Messages per second from one publisher to one subscriber through `port`. */
async function measure(port, count) {
  const url = `nats://127.0.0.1:${port}`;
  const sub = await connect({ servers: url });
  const pub = await connect({ servers: url });
  const payload = new Uint8Array(128).fill(120);
  let got = 0;
  let resolveDone;
  const done = new Promise((r) => (resolveDone = r));
  const s = sub.subscribe('bench.x', { callback: () => { if (++got === count) resolveDone(); } });
  await sub.flush();
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    pub.publish('bench.x', payload);
    // Flush in batches so the subscriber is not cut off as a slow consumer.
    if (i % 5_000 === 4_999) await pub.flush();
  }
  await pub.flush();
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${got}/${count} messages arrived in 60 s`)), 60_000).unref());
  await Promise.race([done, timeout]);
  const seconds = (performance.now() - started) / 1000;
  s.unsubscribe();
  await pub.close();
  await sub.close();
  return count / seconds;
}

const nats = await startNats();
const proxy = await startProxy(nats.port);
try {
  const targets = { direct: nats.port, 'tcp proxy': proxy.ports.tcp, 'nats proxy': proxy.ports.plain, 'nats proxy + toxic': proxy.ports.faulted };
  for (const port of Object.values(targets)) await measure(port, Math.min(messages, 20_000)); // warm-up
  const results = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  const names = Object.keys(targets);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + r) % names.length];
      results[name].push(await measure(targets[name], messages));
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const direct = median(results.direct);
  console.log(`nats-proxy: ${messages} messages of 128 B, 1 publisher → 1 subscriber, median of ${rounds} rounds`);
  for (const name of names) {
    const m = median(results[name]);
    console.log(`  ${name.padEnd(20)} ${Math.round(m).toLocaleString('en-US').padStart(10)} msgs/s   ratio ${(m / direct).toFixed(2)}×`);
  }
} finally {
  proxy.stop();
  nats.stop();
}
