// Benchmark (issue 3): requests per second through an HTTP-aware proxy (protocol "http", no
// toxics) vs the plain TCP proxy vs the upstream direct, in one run. Goal: HTTP-aware ≥ 0.3×
// direct on this machine. Needs `npm run build`. Figures: docs/message-faults.md (HTTP-aware proxies).
//
//   node bench/http-proxy.mjs [--seconds 4] [--connections 32] [--rounds 3]
//
// The upstream (node:http) and the proxy server each run in their own child process, autocannon
// in this one, so the three do not share an event loop. Each target is measured with a small
// and a 64 KiB response body (GET), and with a small and a 64 KiB request body (POST, a JSON-RPC
// call: what the proxy hashes and sniffs for its edge records, src/chaos/http/body-facts.ts),
// `rounds` times in rotating order after a warm-up (the machine is shared and noisy); the median
// round is reported. Last, the hashing share: what BodySniffer costs per request body (timed in
// this process) over what one request costs the HTTP-aware proxy (1 / its req/s, the proxy being
// one saturated event loop).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
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

/**
 * The proxy server's child process. `noHash`: the same proxy with BodySniffer's SHA-1 replaced by
 * a no-op (the JSON sniffing stays), to measure what hashing every request body costs.
 */
const PROXY = (upstreamPort, noHash = false) => `
${noHash ? `
const { BodySniffer } = await import(${JSON.stringify(path.join(root, 'dist/chaos/http/body-facts.js'))});
const NO_HASH = { update() { return this; }, digest() { return '0000000000000000'; } };
const add = BodySniffer.prototype.add;
BodySniffer.prototype.add = function (data) { this.hash ??= NO_HASH; return add.call(this, data); };
` : ''}
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

/** A small JSON-RPC request body (an A2A message/send), and a 64 KiB one. */
const SMALL_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'message/send', params: { message: { messageId: 'm-1', role: 'user', parts: [{ kind: 'text', text: 'hi' }] } } });
const LARGE_BODY = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'message/send', params: { data: 'x'.repeat(64 * 1024 - 80) } });

/** What each case sends: GET for the response-body cases, POST with a body for the request-body ones. */
const CASES = [
  { label: 'small response', path: '/small' },
  { label: '64 KiB response', path: '/large' },
  { label: 'small request body', path: '/small', body: SMALL_BODY },
  { label: '64 KiB request body', path: '/small', body: LARGE_BODY },
];

function run(port, c, duration) {
  const request = c.body === undefined ? {} : { method: 'POST', body: c.body, headers: { 'content-type': 'application/json' } };
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}${c.path}`, connections, duration, pipelining: 1, ...request }, (err, result) => {
      if (err) reject(err);
      else resolve(result);
    });
  });
}

const NO_HASH = { update() { return this; }, digest() { return '0000000000000000'; } };

/** Median µs of one body through BodySniffer (add in 16 KiB chunks, as a socket delivers it, then facts); `noHash`: its hash a no-op. */
function sniffMicros(BodySniffer, buf, noHash) {
  const chunks = [];
  for (let i = 0; i < buf.length; i += 16 * 1024) chunks.push(buf.subarray(i, i + 16 * 1024));
  const once = () => {
    const s = new BodySniffer();
    if (noHash) s.hash = NO_HASH;
    for (const c of chunks) s.add(c);
    return s.facts();
  };
  const n = buf.length > 4096 ? 200 : 5000;
  for (let i = 0; i < n; i++) once();
  const samples = [];
  for (let round = 0; round < 7; round++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) once();
    samples.push(((performance.now() - t0) * 1000) / n);
  }
  return samples.sort((a, b) => a - b)[3];
}

const upstream = await child(UPSTREAM, 'PORT');
const upstreamPort = Number(upstream.value);
const proxy = await child(PROXY(upstreamPort), 'PORTS');
const ports = JSON.parse(proxy.value);
const unhashed = await child(PROXY(upstreamPort, true), 'PORTS');
const targets = { direct: upstreamPort, tcp: ports.tcp, http: ports.http, 'http-nohash': JSON.parse(unhashed.value).http };

try {
  for (const port of Object.values(targets)) await run(port, CASES[2], 1); // warm-up
  const rows = [];
  for (const c of CASES) {
    const label = c.label;
    const samples = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
    const names = Object.keys(targets);
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so no target always runs first (or last) on a warming/cooling machine.
      for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
        const r = await run(targets[name], c, seconds);
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
    console.log(`\n${label}`);
    for (const [name, f] of Object.entries(figures)) {
      console.log(
        `  ${name.padEnd(11)} ${f.rps.toFixed(0).padStart(7)} req/s  p50 ${String(f.p50).padStart(3)} ms  p99 ${String(f.p99).padStart(3)} ms  ratio ${(f.rps / d).toFixed(2)}× direct  (rounds: ${f.all.join(', ')} req/s)`,
      );
    }
    const ratio = figures.http.rps / d;
    console.log(`  http/direct ${ratio.toFixed(2)}× (goal ≥ ${GOAL}×: ${ratio >= GOAL ? 'met' : 'NOT met'}), http/tcp ${(figures.http.rps / figures.tcp.rps).toFixed(2)}×, http/http-nohash ${(figures.http.rps / figures['http-nohash'].rps).toFixed(2)}× (body hashing's cost)`);
  }
  const { BodySniffer } = await import(path.join(root, 'dist/chaos/http/body-facts.js'));
  console.log('\nbody facts per request body (BodySniffer timed in this process, with and without its SHA-1) over one request through the HTTP-aware proxy (1 / its req/s)');
  for (const [label, body] of [
    ['small request body', SMALL_BODY],
    ['64 KiB request body', LARGE_BODY],
  ]) {
    const buf = Buffer.from(body);
    const all = sniffMicros(BodySniffer, buf, false);
    const hash = Math.max(0, all - sniffMicros(BodySniffer, buf, true));
    const perRequest = 1e6 / rows.find((r) => r.label === label).figures.http.rps;
    const pct = (us) => `${((100 * us) / perRequest).toFixed(1)} %`;
    console.log(`  ${label.padEnd(20)} sniffing ${all.toFixed(1)} µs (${pct(all)}), of which hashing ${hash.toFixed(1)} µs (${pct(hash)}; goal ≤ 10 %), of ${perRequest.toFixed(0)} µs per proxied request`);
  }
} finally {
  upstream.proc.kill('SIGTERM');
  proxy.proc.kill('SIGTERM');
  unhashed.proc.kill('SIGTERM');
}
