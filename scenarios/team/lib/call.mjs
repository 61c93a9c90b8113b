// Outgoing calls with a per-attempt timeout and retries. The body is serialised once and every
// attempt sends the same bytes and the same Idempotency-Key / messageId: a retry after a lost
// response is then a duplicate delivery the callee can recognise — which is exactly what the
// team exists to exercise.
import http from 'node:http';
import https from 'node:https';
import { logEvent } from './log.mjs';

const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 512 });

/** Statuses worth another attempt: in progress (409), throttled (429) and gateway/server trouble. */
export const RETRYABLE_STATUSES = new Set([409, 429, 500, 502, 503, 504]);

/** The error an attempt fails with when it gets no complete answer. `timedOut` says why. */
export class CallError extends Error {
  constructor(message, { timedOut = false, attempts = 1, lastStatus } = {}) {
    super(message);
    this.name = 'CallError';
    this.timedOut = timedOut;
    this.attempts = attempts;
    this.lastStatus = lastStatus;
  }
}

function attempt(url, { method, headers, body, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const lib = target.protocol === 'https:' ? https : http;
    const req = lib.request(target, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
      agent: target.protocol === 'https:' ? httpsAgent : httpAgent,
    });
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(new CallError(`${method} ${url} timed out after ${timeoutMs} ms`, { timedOut: true }));
    }, timeoutMs);
    const fail = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new CallError(`${method} ${url} failed: ${err.code ?? err.message}`));
    };
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', fail);
      res.on('aborted', () => fail(new Error('response aborted')));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.end(body);
  });
}

/**
 * Call `url` with JSON `payload` (serialised once), retrying timeouts, connection errors and
 * RETRYABLE_STATUSES up to `retries` times with backoff `backoffMs * 2^n`; `traceparent()` gives
 * each attempt its header. Resolves `{status, headers, text, json, attempts}` with the final answer
 * (a retryable status that persists is returned, not thrown); rejects with CallError when the
 * last attempt got no answer at all.
 */
export async function callJson(url, {
  method = 'POST',
  payload,
  headers = {},
  timeoutMs = 1000,
  retries = 2,
  backoffMs = 50,
  traceparent,
  agent = 'agent',
}) {
  const body = payload === undefined ? undefined : JSON.stringify(payload);
  const baseHeaders = { accept: 'application/json', ...headers };
  if (body !== undefined) baseHeaders['content-type'] = 'application/json';
  let lastError;
  for (let n = 0; n <= retries; n++) {
    if (n > 0) await new Promise((r) => setTimeout(r, backoffMs * 2 ** (n - 1)));
    const tp = traceparent ? traceparent() : null;
    const attemptHeaders = tp ? { ...baseHeaders, traceparent: tp } : baseHeaders;
    try {
      const answer = await attempt(url, { method, headers: attemptHeaders, body, timeoutMs });
      if (RETRYABLE_STATUSES.has(answer.status) && n < retries) {
        logEvent(agent, 'retry', { url, attempt: n + 1, status: answer.status });
        lastError = undefined;
        continue;
      }
      return { ...answer, attempts: n + 1 };
    } catch (err) {
      lastError = err;
      if (n < retries) logEvent(agent, 'retry', { url, attempt: n + 1, error: err.message });
    }
  }
  throw new CallError(lastError?.message ?? `${method} ${url} failed`, {
    timedOut: lastError?.timedOut ?? false,
    attempts: retries + 1,
  });
}
