/**
 * Response framing as Go's net/http server writes it, so the API answers byte for byte like
 * Toxiproxy (a Go program). Node's own framing differs: it adds `Connection: keep-alive` and
 * `Keep-Alive: timeout=N` to every answer, puts `Date` after the handler's headers in insertion
 * order, and never chunks a body it holds whole.
 *
 * The rules, from net/http's server.go (`chunkWriter.writeHeader`, `extraHeader.Write`,
 * `bufferBeforeChunkingSize`):
 * - the handler's headers come first, sorted by name (`Header.WriteSubset`), then `Date`,
 *   `Content-Length`, `Connection`, `Transfer-Encoding`, in that order;
 * - the response buffer holds 2048 bytes: a body that fits is sent with a `Content-Length`
 *   (even `0`); a larger one is written before the handler returns, so it goes out chunked
 *   (HTTP/1.1) or unframed with the connection closed after it (HTTP/1.0);
 * - 1xx, 204 and 304 carry neither `Content-Length` nor `Transfer-Encoding`; a HEAD answer with
 *   no body bytes gets no `Content-Length`;
 * - no `Connection` header unless the connection closes after this answer on HTTP/1.1
 *   (`Connection: close`, e.g. because the client asked) or an HTTP/1.0 client asked for
 *   keep-alive and the answer is framed (`Connection: keep-alive`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** net/http's `bufferBeforeChunkingSize`: bodies above it are sent chunked. */
export const GO_RESPONSE_BUFFER = 2048;

/**
 * Go's answer to a request it cannot parse (`conn.serve`: "400 Bad Request" written raw, then the
 * connection closed). No Date, no Content-Length, no request id: no handler ran.
 */
export const GO_BAD_REQUEST =
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request';

/** What a handler produced: status, its own headers (any order), and the body. */
export interface GoAnswer {
  readonly status: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Buffer;
}

function connectionTokens(value: string | string[] | undefined): Set<string> {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(joined.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== ''));
}

/** The header lines Go would send for `answer` to `req`, in Go's order, and whether it closes after. */
export function goFraming(
  req: Pick<IncomingMessage, 'method' | 'httpVersionMajor' | 'httpVersionMinor' | 'headers'>,
  answer: GoAnswer,
  date: string,
): { headers: Array<[string, string]>; close: boolean; chunked: boolean } {
  const isHead = req.method === 'HEAD';
  const proto11 = req.httpVersionMajor > 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1);
  const tokens = connectionTokens(req.headers.connection);
  const wants10KeepAlive = req.httpVersionMajor === 1 && req.httpVersionMinor === 0 && tokens.has('keep-alive');
  // Request.wantsClose: an explicit close, or HTTP/1.0 without keep-alive (shouldClose).
  const wantsClose = tokens.has('close') || (!proto11 && !wants10KeepAlive);
  const status = answer.status;
  const bodyAllowed = !(status >= 100 && status < 200) && status !== 204 && status !== 304;
  const length = answer.body?.length ?? 0;
  // Past the buffer, the header is written before the handler returns: no length is known.
  const handlerDoneFirst = length <= GO_RESPONSE_BUFFER;
  const hasLength = handlerDoneFirst && bodyAllowed && (!isHead || length > 0);

  let close = false;
  let connection = '';
  if (wants10KeepAlive && (isHead || hasLength || !bodyAllowed)) connection = 'keep-alive';
  else if (!proto11 || wantsClose) close = true;

  let chunked = false;
  if (!isHead && bodyAllowed && !hasLength) {
    if (proto11) chunked = true;
    else close = true;
  }
  if (close && proto11) connection = 'close';

  const headers: Array<[string, string]> = [...answer.headers]
    .map(([k, v]): [string, string] => [k, v])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  headers.push(['Date', date]);
  if (hasLength) headers.push(['Content-Length', String(length)]);
  if (connection !== '') headers.push(['Connection', connection]);
  if (chunked) headers.push(['Transfer-Encoding', 'chunked']);
  return { headers, close, chunked };
}

/** Sends `answer` on `res` framed exactly as Go's net/http would. */
export function sendGoAnswer(req: IncomingMessage, res: ServerResponse, answer: GoAnswer): void {
  if (res.headersSent || res.destroyed) return;
  const { headers, close, chunked } = goFraming(req, answer, new Date().toUTCString());
  res.sendDate = false;
  // Node adds `Connection: keep-alive` + `Keep-Alive:` unless the header is removed; removing it
  // keeps Node's own keep-alive decision, which we align with Go's below.
  if (!headers.some(([k]) => k === 'Connection')) res.removeHeader('connection');
  if (close) res.shouldKeepAlive = false;
  // An HTTP/1.0 body past the buffer is unframed: Node must not chunk it on its own.
  if (!chunked && !headers.some(([k]) => k === 'Content-Length')) res.useChunkedEncodingByDefault = false;
  res.writeHead(answer.status, headers.flat());
  // Go answers an HTTP/1.0 request with an HTTP/1.0 status line; Node always writes 1.1. Its header
  // block is only stored by writeHead and goes out with the first body write, so it can be amended.
  if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) {
    const stored = res as unknown as { _header?: unknown };
    if (typeof stored._header === 'string' && stored._header.startsWith('HTTP/1.1 ')) {
      stored._header = `HTTP/1.0 ${stored._header.slice('HTTP/1.1 '.length)}`;
    }
  }
  res.end(req.method === 'HEAD' ? undefined : answer.body);
}
