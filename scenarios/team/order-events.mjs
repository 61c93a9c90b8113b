#!/usr/bin/env node
// order-events: the publishing side of the event-driven path. POST /orders {orderId, …}
// publishes an `order.placed` event to JetStream (Nats-Msg-Id = the orderId, so the stream
// stores a republished order once) and answers 201 once the stream acknowledged it, 504 when it
// did not within PUBLISH_TIMEOUT_MS (default 2000).
import { connectNats } from './lib/nats.mjs';
import { ensureOrdersStream, natsUrlFromEnv } from './lib/orders-stream.mjs';
import { startAgent } from './lib/server.mjs';
import { envInt } from './lib/config.mjs';

const NAME = 'order-events';
const timeoutMs = envInt(NAME, 'PUBLISH_TIMEOUT_MS', 2000, 1);
const nc = await connectNats(natsUrlFromEnv(NAME), { name: NAME });
await ensureOrdersStream(nc);
nc.closed.then(() => {
  process.stderr.write(`${NAME}: lost the connection to the broker\n`);
  process.exit(3);
});

async function placeOrder(ctx) {
  const parsed = await ctx.json();
  if (!parsed) return;
  const order = parsed.value;
  if (order === null || typeof order !== 'object' || typeof order.orderId !== 'string' || order.orderId === '') {
    return ctx.send(400, { error: 'orderId must be a non-empty string' });
  }
  const event = { type: 'order.placed', orderId: order.orderId, placedAt: new Date().toISOString() };
  const traceparent = ctx.trace.child();
  const headers = { 'Nats-Msg-Id': order.orderId, ...(traceparent ? { traceparent } : {}) };
  try {
    const ack = JSON.parse((await nc.request('order.placed', JSON.stringify(event), { timeoutMs, headers })).data.toString('utf8'));
    if (ack.error) return ctx.send(502, { error: `JetStream refused the event: ${ack.error.description}` });
    return ctx.send(201, { orderId: order.orderId, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true });
  } catch (err) {
    return ctx.send(504, { error: String(err.message ?? err) });
  }
}

await startAgent({ name: NAME, routes: [{ method: 'POST', path: '/orders', handler: placeOrder }], onClose: () => void nc.close() });
