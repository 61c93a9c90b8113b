// The HTTP skeleton every agent shares: routing, /healthz, one log line per request, the
// `listening on` readiness line, JSON answers, and a graceful exit on SIGTERM/SIGINT.
import { createServer } from 'node:http';
import { readJsonBody, DEFAULT_BODY_LIMIT } from './body.mjs';
import { traceFromHeader } from './trace.mjs';
import { logRequest, logEvent } from './log.mjs';
import { envInt, usageError } from './config.mjs';

/** Write a JSON response (or an empty one when `body` is undefined). */
export function sendJson(res, status, body, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  if (body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/**
 * Start an agent's HTTP server on $HOST (127.0.0.1) : $PORT (0 = any free port).
 * `routes` is a list of `{method, path: string|RegExp, handler(ctx)}`; ctx carries req, res, url,
 * params (RegExp groups), trace, `json()` (the parsed body or a 4xx already sent: null), `body()`
 * (the read result, nothing sent) and `send()`.
 * Resolves `{server, port, url}` once listening; `listening on http://HOST:PORT` is printed first.
 */
export async function startAgent({ name, routes, onClose }) {
  const host = process.env.HOST || '127.0.0.1';
  const port = envInt(name, 'PORT', 0, 0);
  if (port > 65535) usageError(name, `PORT must be <= 65535, got ${port}`);
  const bodyLimit = envInt(name, 'BODY_LIMIT_BYTES', DEFAULT_BODY_LIMIT, 1);
  const allRoutes = [
    { method: 'GET', path: '/healthz', handler: (ctx) => ctx.send(200, { ok: true, agent: name }) },
    ...routes,
  ];

  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://agent.local');
    const trace = traceFromHeader(req.headers.traceparent);
    res.on('close', () => {
      const entry = {
        agent: name,
        method: req.method,
        path: url.pathname,
        // A client that went away before any answer got none: 0, not Node's default 200.
        status: res.headersSent ? res.statusCode : 0,
        ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
        traceparent: trace.traceparent,
      };
      if (!res.writableFinished) entry.aborted = true;
      logRequest(entry);
    });
    const ctx = {
      req,
      res,
      url,
      params: [],
      trace,
      send: (status, body, headers) => sendJson(res, status, body, headers),
      // The raw read result `{ok, value, raw}` / `{ok:false, status, error, raw?}`, nothing answered.
      body: () => readJsonBody(req, bodyLimit),
      // Parse the body; on failure answer the 4xx here and return null so handlers just `return`.
      json: async () => {
        const body = await readJsonBody(req, bodyLimit);
        if (body.ok) return body;
        sendJson(res, body.status, { error: body.error }, body.status === 413 ? { connection: 'close' } : {});
        return null;
      },
    };
    dispatch(allRoutes, req.method ?? 'GET', url.pathname, ctx).catch((err) => {
      logEvent(name, 'handler-error', { path: url.pathname, error: String(err?.stack ?? err) });
      sendJson(res, 500, { error: 'internal error' });
    });
  });
  // Keep-alive sockets must not outlive a load burst for long, but must survive one (Node's
  // 5 s default is fine); headersTimeout bounds a slowloris-style client.
  server.headersTimeout = 10_000;

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err) => {
    process.stderr.write(`${name}: cannot listen on ${host}:${port}: ${err.code ?? err.message}\n`);
    process.exit(3);
  });
  const bound = server.address().port;
  const displayHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${displayHost}:${bound}`;
  process.stdout.write(`listening on ${url}\n`);

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    onClose?.();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    // In-flight requests get a short grace period, then everything is cut.
    setTimeout(() => {
      server.closeAllConnections();
      process.exit(0);
    }, envInt(name, 'SHUTDOWN_GRACE_MS', 1000, 0)).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  return { server, port: bound, url };
}

async function dispatch(routes, method, pathname, ctx) {
  let pathMatched = false;
  for (const route of routes) {
    let params = null;
    if (typeof route.path === 'string') {
      if (route.path === pathname) params = [];
    } else {
      const m = route.path.exec(pathname);
      if (m) {
        try {
          params = m.slice(1).map((p) => decodeURIComponent(p));
        } catch {
          ctx.send(400, { error: `malformed percent-encoding in ${pathname}` });
          return;
        }
      }
    }
    if (params === null) continue;
    pathMatched = true;
    if (route.method !== method) continue;
    ctx.params = params;
    await route.handler(ctx);
    return;
  }
  if (pathMatched) ctx.send(405, { error: `method ${method} not allowed on ${pathname}` });
  else ctx.send(404, { error: `no route for ${method} ${pathname}` });
}
