// Benchmark (issue 3): requests per second through an HTTP-aware proxy (protocol "http", no
// toxics) vs the plain TCP proxy vs the upstream direct, in one run. Goal: HTTP-aware ≥ 0.3×
// direct on this machine. Needs `npm run build`.
//
//   node bench/http-proxy.mjs [--seconds 4] [--connections 32] [--rounds 3]
//
// The upstream (node:http) and the proxy server each run in their own child process, autocannon
// in this one, so the three do not share an event loop. Each target is measured with a small
// body and with a 64 KiB body, `rounds` times in rotating order after a warm-up (the machine is
// shared and noisy); the median round is reported.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const seconds = arg('seconds', 4);
const rounds = arg('rounds', 3);
const connections = arg('connections', 32);
const GOAL = 0.3;

const UPSTREAM = `
import { createServer } from 'node:http';
const small = Buffer.from(JSON.stringify({ ok: true, agent: 'bench' }));
const large = Buffer.alloc(64 * 1024, 120);
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = req.url === '/large' ? large : small;
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log('PORT ' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

const PROXY = (upstreamPort) => `
import { startProxyServer } from ${JSON.stringify(path.join(root, 'dist/chaos/server.js'))};
const server = await startProxyServer({ host: '127.0.0.1', port: 0, seed: 1 });
const ports = {};
for (const protocol of ['tcp', 'http']) {
  const res = await fetch(server.url + '/proxies', { method: 'POST', body: JSON.stringify({ name: protocol, listen: '127.0.0.1:0', upstream: '127.0.0.1:${upstreamPort}', protocol }) });
  ports[protocol] = Number((await res.json()).listen.split(':').pop());
}
console.log('PORTS ' + JSON.stringify(ports));
process.on('SIGTERM', async () => { await server.close(); process.exit(0); });
`;

function child(code, marker) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    proc.stdout.on('data', (c) => {
      buf += c;
      const line = buf.split('\n').find((l) => l.startsWith(marker + ' '));
      if (line) resolve({ proc, value: line.slice(marker.length + 1) });
    });
    proc.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
}

function run(port, pathName, duration) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}${pathName}`, connections, duration, pipelining: 1 }, (err, result) => {
      if (err) reject(err);
      else resolve(result);
    });
  });
}

const upstream = await child(UPSTREAM, 'PORT');
const upstreamPort = Number(upstream.value);
const proxy = await child(PROXY(upstreamPort), 'PORTS');
const ports = JSON.parse(proxy.value);
const targets = { direct: upstreamPort, tcp: ports.tcp, http: ports.http };

try {
  for (const port of Object.values(targets)) await run(port, '/small', 1); // warm-up
  const rows = [];
  for (const [label, pathName] of [
    ['small', '/small'],
    ['64 KiB', '/large'],
  ]) {
    const samples = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
    const names = Object.keys(targets);
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so no target always runs first (or last) on a warming/cooling machine.
      for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
        const r = await run(targets[name], pathName, seconds);
        if (r.errors || r.non2xx) throw new Error(`${name} ${label}: ${r.errors} errors, ${r.non2xx} non-2xx`);
        samples[name].push({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total });
      }
    }
    const figures = {};
    for (const name of names) {
      const sorted = [...samples[name]].sort((a, b) => a.rps - b.rps);
      figures[name] = { ...sorted[Math.floor(sorted.length / 2)], all: samples[name].map((x) => Math.round(x.rps)) };
    }
    rows.push({ label, figures });
  }
  console.log(`HTTP-aware proxy vs TCP proxy vs direct — ${connections} connections, ${seconds} s per run, median of ${rounds} rounds, node ${process.version}`);
  for (const { label, figures } of rows) {
    const d = figures.direct.rps;
    console.log(`\n${label} body`);
    for (const [name, f] of Object.entries(figures)) {
      console.log(
        `  ${name.padEnd(6)} ${f.rps.toFixed(0).padStart(7)} req/s  p50 ${String(f.p50).padStart(3)} ms  p99 ${String(f.p99).padStart(3)} ms  ratio ${(f.rps / d).toFixed(2)}× direct  (rounds: ${f.all.join(', ')} req/s)`,
      );
    }
    const ratio = figures.http.rps / d;
    console.log(`  http/direct ${ratio.toFixed(2)}× (goal ≥ ${GOAL}×: ${ratio >= GOAL ? 'met' : 'NOT met'}), http/tcp ${(figures.http.rps / figures.tcp.rps).toFixed(2)}×`);
  }
} finally {
  upstream.proc.kill('SIGTERM');
  proxy.proc.kill('SIGTERM');
}
