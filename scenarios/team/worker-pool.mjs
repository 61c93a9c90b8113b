#!/usr/bin/env node
// worker-pool: a bounded pool of workers in front of another agent (UPSTREAM_URL). Every request
// but /healthz is a job: it waits in a FIFO queue for one of WORKERS workers, which spends
// WORK_MS of its own processing, forwards the request to the upstream and answers with the
// upstream's answer. It is the "bounded worker pool" of the metastable-failure literature:
//
//   --mode shed (default)  a job that waited longer than QUEUE_TIMEOUT_MS, or whose caller has
//                          hung up, is answered 503 without any work (its caller has given up).
//   --mode keep            every job is worked to the end, even when nobody waits for it any
//                          more. With callers that retry on timeout without backoff, a short
//                          overload fills the queue with abandoned work; every new request then
//                          waits longer than its caller's timeout, is retried, and the pool stays
//                          overloaded after the trigger is gone (Bronson et al., HotOS'21).
//
// GET /pool answers { queued, busy, worked, shed } for humans and tests.
import http from 'node:http';

function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`worker-pool: ${name} must be an integer ≥ 0, got '${raw}'\n`);
    process.exit(2);
  }
  return n;
}

const modeFlag = process.argv.indexOf('--mode');
const MODE = modeFlag >= 0 ? process.argv[modeFlag + 1] : (process.env.POOL_MODE ?? 'shed');
if (MODE !== 'shed' && MODE !== 'keep') {
  process.stderr.write(`worker-pool: --mode must be shed or keep, got '${MODE}'\n`);
  process.exit(2);
}
const UPSTREAM = process.env.UPSTREAM_URL;
if (!UPSTREAM) {
  process.stderr.write('worker-pool: UPSTREAM_URL is required\n');
  process.exit(2);
}
const WORKERS = Math.max(1, envInt('WORKERS', 2));
const WORK_MS = envInt('WORK_MS', 10);
const QUEUE_TIMEOUT_MS = envInt('QUEUE_TIMEOUT_MS', 200);
const UPSTREAM_TIMEOUT_MS = envInt('UPSTREAM_TIMEOUT_MS', 5000);
const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: WORKERS });

const queue = [];
let busy = 0;
let worked = 0;
let shed = 0;

function reply(res, status, body, headers = {}) {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}

function forward(job) {
  return new Promise((resolve) => {
    const target = new URL(job.req.url, UPSTREAM);
    const headers = { ...job.req.headers, host: target.host };
    const up = http.request(target, { method: job.req.method, headers, agent: upstreamAgent, timeout: UPSTREAM_TIMEOUT_MS }, (answer) => {
      const chunks = [];
      answer.on('data', (c) => chunks.push(c));
      answer.on('end', () => {
        const h = { ...answer.headers };
        delete h['content-length'];
        delete h['transfer-encoding'];
        delete h.connection;
        reply(job.res, answer.statusCode ?? 502, Buffer.concat(chunks), h);
        resolve();
      });
      answer.on('error', () => {
        reply(job.res, 502, { error: 'upstream answer broken' });
        resolve();
      });
    });
    up.on('timeout', () => up.destroy(new Error('upstream timeout')));
    up.on('error', (err) => {
      reply(job.res, 502, { error: `upstream: ${err.message}` });
      resolve();
    });
    up.end(job.body);
  });
}

function next() {
  while (busy < WORKERS && queue.length > 0) {
    const job = queue.shift();
    const waited = performance.now() - job.enqueued;
    if (MODE === 'shed' && (waited > QUEUE_TIMEOUT_MS || job.res.destroyed)) {
      shed++;
      reply(job.res, 503, { error: `shed after ${Math.round(waited)} ms in the queue` }, { 'retry-after': '0' });
      continue;
    }
    busy++;
    void (async () => {
      await new Promise((r) => setTimeout(r, WORK_MS));
      await forward(job);
      worked++;
      busy--;
      next();
    })();
  }
}

const server = http.createServer((req, res) => {
  if (req.url === '/healthz') return reply(res, 200, { ok: true });
  if (req.url === '/pool') return reply(res, 200, { mode: MODE, queued: queue.length, busy, worked, shed });
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    queue.push({ req, res, body: Buffer.concat(chunks), enqueued: performance.now() });
    next();
  });
});

server.on('error', (err) => {
  process.stderr.write(`worker-pool: ${err.message}\n`);
  process.exit(err.code === 'EADDRINUSE' ? 3 : 1);
});
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`worker-pool (${MODE}, ${WORKERS} workers) listening on http://${process.env.HOST ?? '127.0.0.1'}:${port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
