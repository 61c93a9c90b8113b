/**
 * A recording tap on a provider's connection to a NATS broker: an in-process agentcheck proxy
 * server with one `nats` proxy in front of the broker, which the provider is given as its broker
 * URL. What the provider publishes (application subjects: acks, JetStream API calls and inboxes
 * are left out, see src/chaos/nats/capture.ts) is what a message pact is verified against, as the
 * HTTP tap (tap.ts) does for events sent over HTTP.
 */
import { readPublishedMessages } from '../chaos/nats/client.js';
import { startProxyServer, type ProxyServer } from '../chaos/server.js';
import type { CapturedMessage, MessageTap } from './tap.js';

const PROXY = 'contract_tap';
const POLL_MS = 20;

function asCaptured(seq: number, m: { subject: string; headers: Array<[string, string]>; body: string }): CapturedMessage {
  let json: unknown;
  try {
    json = m.body ? JSON.parse(m.body) : undefined;
  } catch {
    json = undefined;
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of m.headers) headers[k.toLowerCase()] = v;
  // A NATS message has no method or path: the operation and the subject stand in for them.
  return { seq, method: 'PUB', path: m.subject, headers, json, text: m.body };
}

/** Starts a tap in front of the broker listening on `127.0.0.1:<brokerPort>`; its `url` is `nats://…`. */
export async function startNatsMessageTap(brokerPort: number): Promise<MessageTap> {
  const server: ProxyServer = await startProxyServer({
    port: 0,
    seed: 'contracts',
    config: [{ name: PROXY, listen: '127.0.0.1:0', upstream: `127.0.0.1:${brokerPort}`, protocol: 'nats' }],
  });
  const listen = (JSON.parse(server.describe(PROXY)!) as { listen: string }).listen;
  // The proxy's capture is bounded per subject; the tap copies what is new on every read so its
  // list keeps seq == index (callers use its length as a cursor). A verification is short: the
  // list holds what the provider published while its interactions ran.
  const seen: CapturedMessage[] = [];
  let lastProxySeq = 0;
  const captured = (): CapturedMessage[] => {
    for (const m of readPublishedMessages(server.proxies, PROXY)) {
      if (m.seq <= lastProxySeq) continue;
      lastProxySeq = m.seq;
      seen.push(asCaptured(seen.length, m));
    }
    return seen;
  };
  const close = () => server.close();
  return {
    url: `nats://${listen}`,
    get captured() {
      return captured();
    },
    async next(from, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = captured().find((m) => m.seq >= from && m.json !== undefined);
        if (found || Date.now() >= deadline) return found;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
