#!/usr/bin/env node
// notifier: an asynchronous event consumer. At-least-once delivery upstream is made
// effectively-once here by de-duplicating on eventId.
import http from 'node:http';
import { startAgent } from './lib/server.mjs';

const NAME = 'notifier';
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** eventId → notification */
let sent = new Map();
let duplicates = 0;

function eventError(e) {
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return 'body must be a JSON object';
  if (typeof e.eventId !== 'string' || e.eventId === '') return 'eventId must be a non-empty string';
  if (e.type !== 'order.completed') return 'type must be "order.completed"';
  if (typeof e.orderId !== 'string' || e.orderId === '') return 'orderId must be a non-empty string';
  if (typeof e.chargeId !== 'string' || e.chargeId === '') return 'chargeId must be a non-empty string';
  if (typeof e.occurredAt !== 'string' || !ISO_8601.test(e.occurredAt) || Number.isNaN(Date.parse(e.occurredAt))) {
    return 'occurredAt must be an ISO-8601 timestamp';
  }
  return null;
}

// Broken-on-purpose variants for agentcheck's detectors (unset in the good team):
// AUDIT_URL: also GET <AUDIT_URL>/healthz for every event, a call to a service that is not a
// declared edge of the notifier; CALLBACK_URL: POST <CALLBACK_URL>/events/ack for every event on
// the event's trace, delegating back to the caller (a cycle in the trace's call graph);
// WEBHOOK_URL: also POST every event to this outside URL through $HTTP_PROXY in absolute-form, the
// way HTTP SDKs send when a proxy is set (no proxy set: no call, so a test never leaves loopback).
const AUDIT_URL = process.env.AUDIT_URL;
const WEBHOOK_URL = process.env.WEBHOOK_URL;
const PROXY_URL = process.env.HTTP_PROXY ?? process.env.http_proxy;
const CALLBACK_URL = process.env.CALLBACK_URL;
const sideAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function sideCall(url, method, traceparent) {
  const req = http.request(url, { method, agent: sideAgent, headers: { 'content-type': 'application/json', ...(traceparent ? { traceparent } : {}) } }, (res) => res.resume());
  req.on('error', () => undefined);
  req.setTimeout(1000, () => req.destroy());
  req.end(method === 'POST' ? '{}' : undefined);
}

function webhook(event) {
  if (!WEBHOOK_URL || !PROXY_URL) return;
  const proxy = new URL(PROXY_URL);
  const body = JSON.stringify(event);
  const headers = { host: new URL(WEBHOOK_URL).host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'POST', path: WEBHOOK_URL, agent: sideAgent, headers }, (res) => res.resume());
  req.on('error', () => undefined);
  req.setTimeout(1000, () => req.destroy());
  req.end(body);
}

async function postEvent(ctx) {
  if (AUDIT_URL) sideCall(`${AUDIT_URL}/healthz`, 'GET');
  if (CALLBACK_URL) sideCall(`${CALLBACK_URL}/events/ack`, 'POST', ctx.trace.child());
  const parsed = await ctx.json();
  if (!parsed) return;
  const event = parsed.value;
  const invalid = eventError(event);
  if (invalid) return ctx.send(400, { error: invalid });
  if (sent.has(event.eventId)) {
    duplicates++;
    return ctx.send(202, { accepted: true, duplicate: true });
  }
  webhook(event);
  sent.set(event.eventId, {
    eventId: event.eventId,
    type: event.type,
    orderId: event.orderId,
    chargeId: event.chargeId,
    occurredAt: event.occurredAt,
    sentAt: new Date().toISOString(),
  });
  ctx.send(202, { accepted: true });
}

function invariants() {
  const seen = new Map();
  for (const n of sent.values()) seen.set(n.orderId, (seen.get(n.orderId) ?? 0) + 1);
  const notifiedTwice = [...seen].filter(([, n]) => n > 1).map(([orderId]) => orderId);
  return { ok: notifiedTwice.length === 0, details: { notifications: sent.size, duplicatesSuppressed: duplicates, notifiedTwice } };
}

await startAgent({
  name: NAME,
  routes: [
    { method: 'POST', path: '/events', handler: postEvent },
    { method: 'GET', path: '/sent', handler: (ctx) => ctx.send(200, { notifications: [...sent.values()] }) },
    { method: 'GET', path: '/invariants', handler: (ctx) => ctx.send(200, invariants()) },
    {
      method: 'POST',
      path: '/reset',
      handler: (ctx) => {
        sent = new Map();
        duplicates = 0;
        ctx.send(200, { ok: true });
      },
    },
  ],
});
