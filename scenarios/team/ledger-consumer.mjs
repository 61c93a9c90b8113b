#!/usr/bin/env node
// ledger-consumer: the consuming side of the event-driven path. A durable JetStream push consumer
// (`ledger`, explicit acks, AckWait ACK_WAIT_MS, default 500) on `order.placed`; each order is
// booked once in the ledger, GET /effects lists the bookings. At-least-once delivery (a lost ack
// is redelivered after AckWait) is made effectively-once by de-duplicating on orderId.
//
// --mode no-dedup (broken on purpose): books every delivery, so a redelivery or a duplicated
// delivery books the order twice.
//
// After each handled delivery it announces `order.booked` ({ orderId, streamSeq, delivery }, a core
// publish: what a workflow can await as its completion). A copy of an order it already booked is
// announced again (the answer to a repeated request is the same).
//
// --mode skip-redelivered (broken on purpose): treats every JetStream redelivery as a copy it
// already handled and acks it without booking or announcing. When the first delivery never
// reached it (a delivery lost on the way), the order is never booked nor announced.
import { ackInfo, connectNats } from './lib/nats.mjs';
import { ensureOrdersStream, natsUrlFromEnv, ORDERS_STREAM } from './lib/orders-stream.mjs';
import { startAgent } from './lib/server.mjs';
import { argValue, envInt, usageError } from './lib/config.mjs';

const NAME = 'ledger-consumer';
const mode = argValue('--mode') ?? 'dedup';
if (mode !== 'dedup' && mode !== 'no-dedup' && mode !== 'skip-redelivered') usageError(NAME, `--mode must be dedup, no-dedup or skip-redelivered, got "${mode}"`);
const ackWaitMs = envInt(NAME, 'ACK_WAIT_MS', 500, 1);
const CONSUMER = 'ledger';
const DELIVER = 'ledger.deliver';

/** orderId → booking (dedup mode). */
const booked = new Map();
const effects = [];
let deliveries = 0;
let duplicatesSkipped = 0;
let redeliveriesSkipped = 0;
const BOOKED = 'order.booked';

const nc = await connectNats(natsUrlFromEnv(NAME), { name: NAME });
await ensureOrdersStream(nc);
nc.subscribe(DELIVER, (m) => {
  deliveries++;
  let event;
  try {
    event = JSON.parse(m.data.toString('utf8'));
  } catch {
    event = null;
  }
  const js = ackInfo(m.reply);
  if (event && typeof event.orderId === 'string') {
    if (mode === 'skip-redelivered' && (js?.delivered ?? 1) > 1) redeliveriesSkipped++;
    else if (mode !== 'no-dedup' && booked.has(event.orderId)) {
      duplicatesSkipped++;
      announce(booked.get(event.orderId));
    } else {
      const booking = { orderId: event.orderId, streamSeq: js?.streamSeq ?? null, delivery: js?.delivered ?? null, bookedAt: new Date().toISOString() };
      booked.set(event.orderId, booking);
      effects.push(booking);
      announce(booking);
    }
  }
  // A malformed event is acked too: redelivering it would not make it readable.
  if (m.reply) nc.publish(m.reply, '+ACK');
});
await nc.flush();
function announce(booking) {
  nc.publish(BOOKED, JSON.stringify({ orderId: booking.orderId, streamSeq: booking.streamSeq, delivery: booking.delivery }));
}
try {
  await nc.jsApi(`CONSUMER.DURABLE.CREATE.${ORDERS_STREAM}.${CONSUMER}`, {
    stream_name: ORDERS_STREAM,
    config: { durable_name: CONSUMER, deliver_subject: DELIVER, filter_subject: 'order.placed', ack_policy: 'explicit', ack_wait: ackWaitMs * 1e6, max_deliver: 20, deliver_policy: 'all' },
  }, 5000);
} catch (err) {
  usageError(NAME, `could not create the JetStream consumer: ${err.message}`);
}
nc.closed.then(() => {
  process.stderr.write(`${NAME}: lost the connection to the broker\n`);
  process.exit(3);
});

await startAgent({
  name: NAME,
  routes: [{ method: 'GET', path: '/effects', handler: (ctx) => ctx.send(200, { effects, deliveries, duplicatesSkipped, redeliveriesSkipped, mode }) }],
  onClose: () => void nc.close(),
});
