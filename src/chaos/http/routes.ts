/**
 * The API's message-level extensions: `GET /proxies/{p}/journal` (the fault journal) and
 * `GET /proxies/{p}/records` (per-edge records), both NDJSON, both taking `?since=<seq>` to
 * read only newer entries. A proxy that never carried HTTP traffic answers an empty body.
 */
import { registerProxyRoute, type ApiReply } from '../api.js';
import { ApiError } from '../api-error.js';
import { existingHttpState } from './proxy-state.js';

/** Content type of the NDJSON endpoints. */
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

function since(query: URLSearchParams): number {
  const raw = query.get('since');
  if (raw === null || raw === '') return 0;
  if (!/^\d{1,15}$/.test(raw)) throw new ApiError(`since must be a non-negative integer, got '${raw}'`, 400);
  return Number(raw);
}

registerProxyRoute('journal', (proxy, query): ApiReply => {
  const state = existingHttpState(proxy);
  return { contentType: NDJSON_CONTENT_TYPE, body: state ? state.journal.toNdjson(since(query)) : '' };
});

registerProxyRoute('records', (proxy, query): ApiReply => {
  const state = existingHttpState(proxy);
  return { contentType: NDJSON_CONTENT_TYPE, body: state ? state.records.toNdjson(since(query)) : '' };
});

// Published message bodies are captured by nats proxies only (src/chaos/nats/capture.ts answers
// there); anywhere else the route exists so the answer says why, not a bare 404.
registerProxyRoute('messages', (proxy): ApiReply => {
  throw new ApiError(`proxy '${proxy.name}' is ${proxy.protocol}: published messages are captured on proxies created with "protocol":"nats"`, 400);
});
