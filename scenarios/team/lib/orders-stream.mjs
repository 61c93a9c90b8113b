// The JetStream stream the event-driven path shares: `order.>` events in memory (a run starts its
// broker afresh), with a two-minute de-duplication window on Nats-Msg-Id, so a publisher that
// sends the same order twice stores it once.
export const ORDERS_STREAM = 'ORDERS';

/** Creates the ORDERS stream, or leaves it as it is when it already exists with this config. */
export async function ensureOrdersStream(nc) {
  const config = { name: ORDERS_STREAM, subjects: ['order.>'], storage: 'memory', duplicate_window: 120e9 };
  try {
    await nc.jsApi(`STREAM.CREATE.${ORDERS_STREAM}`, config, 5000);
  } catch (err) {
    // 10058: the name is in use (another agent made it first, with the same config it also uses).
    if (err.code !== 10058) throw err;
  }
}

/** The broker URL from $NATS_URL (a nats:// URL); a bad one is a usage error (exit 2). */
export function natsUrlFromEnv(agent) {
  const raw = process.env.NATS_URL;
  if (!raw || !/^nats:\/\/[^/]+$/.test(raw.replace(/\/$/, ''))) {
    process.stderr.write(`${agent}: NATS_URL must be a nats://host:port URL, got ${JSON.stringify(raw ?? '')}\n`);
    process.exit(2);
  }
  return raw;
}
