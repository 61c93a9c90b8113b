/** Responses the proxy writes itself (http_error, drop/commit_then_drop with a status, 400 for bad requests). */
import { STATUS_CODES } from 'node:http';

/** Serialises a complete HTTP/1.1 response with a Content-Length (and `Connection: close` when `close`). */
export function syntheticResponse(
  status: number,
  headers: ReadonlyArray<readonly [string, string]> = [],
  body: string | Buffer = '',
  close = false,
): Buffer {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  let hasType = false;
  for (const [name, value] of headers) {
    if (/^connection$/i.test(name)) continue;
    if (/^content-type$/i.test(name)) hasType = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!hasType && payload.length > 0) head += 'Content-Type: text/plain; charset=utf-8\r\n';
  head += `Content-Length: ${payload.length}\r\n`;
  if (close) head += 'Connection: close\r\n';
  head += '\r\n';
  return payload.length > 0 ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : Buffer.from(head, 'latin1');
}
