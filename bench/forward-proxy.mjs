// Benchmark (issue 15, topology): what the process runtime's forward proxy costs an agent whose
// HTTP client honours HTTP_PROXY: requests per second to an upstream through the forward proxy
// (absolute-form, forwarded because the upstream is a declared edge) vs the same upstream direct,
// and the refusal rate (403, upstream never contacted). Both sides in this one run; prints ratios.
// Needs `npm run build`.
//
//   node bench/forward-proxy.mjs [--seconds 3] [--connections 16] [--rounds 3]
//
// The upstream (node:http) and the forward proxy each run in their own child process, the client
// (keep-alive, `connections` concurrent request loops) in this one. Rounds rotate the order; the
// median round is reported.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const seconds = arg('seconds', 3);
const connections = arg('connections', 16);
const rounds = arg('rounds', 3);

/** Starts `code` in a child process; resolves with the first line it prints (its address). */
function child(code) {
  const p = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    p.once('error', reject);
    p.stdout.once('data', (b) => resolve({ process: p, line: b.toString().trim() }));
  });
}

const upstream = await child(`
import http from 'node:http';
const s = http.createServer((q, r) => { q.resume(); q.on('end', () => { r.setHeader('content-type', 'application/json'); r.end('{"ok":true}'); }); });
s.keepAliveTimeout = 30000;
s.listen(0, '127.0.0.1', () => console.log('127.0.0.1:' + s.address().port));`);
const proxy = await child(`
import { ForwardProxy } from './dist/detect/forward-proxy.js';
const fp = new ForwardProxy();
console.log(await fp.addCaller('bench', [${JSON.stringify(upstream.line)}]));`);
const proxyUrl = new URL(proxy.line);

/** Requests per second for `seconds` with `connections` concurrent keep-alive loops; every answer must have `status`. */
async function measure(options, status) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const until = performance.now() + seconds * 1000;
  let done = 0;
  let wrong = 0;
  const one = () => new Promise((resolve) => {
    const req = http.request({ ...options, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === status) done++;
        else wrong++;
        resolve();
      });
    });
    req.on('error', () => {
      wrong++;
      resolve();
    });
    req.end();
  });
  await Promise.all(Array.from({ length: connections }, async () => {
    while (performance.now() < until) await one();
  }));
  agent.destroy();
  if (wrong > 0) throw new Error(`${wrong} answers were not ${status}`);
  return done / seconds;
}

const [host, port] = upstream.line.split(':');
const sides = {
  direct: () => measure({ host, port, path: '/x' }, 200),
  'through the forward proxy': () => measure({ host: proxyUrl.hostname, port: proxyUrl.port, path: `http://${upstream.line}/x`, headers: { host: upstream.line } }, 200),
  'refused by the forward proxy': () => measure({ host: proxyUrl.hostname, port: proxyUrl.port, path: 'http://hooks.example.com/x', headers: { host: 'hooks.example.com' } }, 403),
};
const names = Object.keys(sides);
const results = Object.fromEntries(names.map((n) => [n, []]));
try {
  // Warm-up, then rotating order.
  for (const n of names) await sides[n]();
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(r + k) % names.length];
      results[n].push(await sides[n]());
    }
  }
} finally {
  upstream.process.kill();
  proxy.process.kill();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const direct = median(results.direct);
console.log(`forward proxy, ${connections} connections, ${seconds} s × ${rounds} rounds (median):`);
for (const n of names) {
  const rps = median(results[n]);
  console.log(`  ${n.padEnd(30)} ${rps.toFixed(0).padStart(7)} req/s  (${(rps / direct).toFixed(2)}× direct)`);
}
