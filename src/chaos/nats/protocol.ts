/**
 * The `nats` protocol handler: proxies created with `"protocol": "nats"` frame the NATS client
 * protocol in both directions and apply the NATS message toxics (`drop`, `duplicate`, `delay`,
 * `reorder`, `drop_ack`, from ./toxics). Stream toxics still apply between the proxy and the
 * server: `upstream` toxics on what clients send, `downstream` toxics on what the server sends
 * before the NATS layer reads it. `GET /proxies/{p}/journal`, `/records` and `/messages` answer
 * this layer's fault journal, per-subject records and captured publishes.
 */
import type { ApiReply, ProxyRoute } from '../api.js';
import { ApiError } from '../api-error.js';
import type { Connection } from '../connection.js';
import type { ProtocolHandler } from '../protocols.js';
import type { Rng } from '../rng.js';
import { NatsFlow, type FlowContext } from './exchange.js';
import { existingNatsState, natsStateFor } from './state.js';
import { compileSubject, subjectPatternError } from './subject.js';
import { natsToxicTypes } from './toxics/index.js';

const NDJSON = 'application/x-ndjson';

function since(query: URLSearchParams): number {
  const raw = query.get('since');
  if (raw === null || raw === '') return 0;
  if (!/^\d{1,15}$/.test(raw)) throw new ApiError(`since must be a non-negative integer, got '${raw}'`, 400);
  return Number(raw);
}

const journalRoute: ProxyRoute = (proxy, query): ApiReply => ({
  contentType: NDJSON,
  body: existingNatsState(proxy)?.journalNdjson(since(query)) ?? '',
});

const recordsRoute: ProxyRoute = (proxy, query): ApiReply => {
  if (query.has('since')) throw new ApiError("the records of a nats proxy are per-subject totals: 'since' does not apply", 400);
  return { contentType: NDJSON, body: existingNatsState(proxy)?.records.toNdjson() ?? '' };
};

const messagesRoute: ProxyRoute = (proxy, query): ApiReply => {
  const pattern = query.get('subject');
  let matches: ((subject: string) => boolean) | undefined;
  if (pattern !== null) {
    const problem = subjectPatternError(pattern);
    if (problem) throw new ApiError(`subject: ${problem}`, 400);
    matches = compileSubject(pattern);
  }
  const list = existingNatsState(proxy)?.published.list(matches) ?? [];
  return { contentType: NDJSON, body: list.map((m) => JSON.stringify(m) + '\n').join('') };
};

/** The NATS-aware protocol: message toxics per NATS message, fault journal, per-subject records. */
export const natsProtocol: ProtocolHandler = {
  name: 'nats',
  messageToxics: true,
  messageToxicTypes: natsToxicTypes,
  routes: new Map([
    ['journal', journalRoute],
    ['records', recordsRoute],
    ['messages', messagesRoute],
  ]),
  connect(connection: Connection) {
    const owner = connection.proxy as typeof connection.proxy & { rng?: Rng };
    const state = natsStateFor(owner, connection.rng.seed.replace(/\/conn:[^/]*$/, ''));
    const { client, upstream } = connection;
    const toServer = connection.createLink('upstream', upstream);
    let messages = 0;
    const flows: NatsFlow[] = [];
    const ctx: FlowContext = {
      state,
      connectionId: connection.id,
      nextMessage: () => ++messages,
      goOpaque: (reason) => {
        for (const f of flows) f.goOpaque(reason);
      },
      fail: (err) => {
        state.noteInternalError(err);
        connection.reset();
      },
    };
    const publish = new NatsFlow('publish', ctx, {
      write: (chunk) => toServer.write(chunk),
      end: () => toServer.end(),
      onDrain: (listener) => toServer.onDrain(listener),
      get closed() {
        return upstream.destroyed;
      },
    });
    const deliver = new NatsFlow('deliver', ctx, {
      write: (chunk) => client.write(chunk),
      end: () => client.end(),
      onDrain: (listener) => client.once('drain', listener),
      get closed() {
        return client.destroyed || client.writableEnded;
      },
    });
    flows.push(publish, deliver);
    connection.pipe(upstream, 'downstream', deliver);
    // The client's bytes go straight to the publish flow (its output is the link to the server).
    const resume = () => client.resume();
    client.on('data', (chunk: Buffer) => {
      if (!publish.write(chunk)) {
        client.pause();
        publish.once('drain', resume);
      }
    });
    client.on('end', () => publish.end());
    connection.onClose(() => {
      publish.dispose();
      deliver.dispose();
    });
  },
};
