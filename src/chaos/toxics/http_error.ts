/**
 * `http_error` (message toxic, HTTP proxies only): answers the request itself with `status`
 * (default 500), `headers` (a JSON object `{"Name": "value"}`) and `body` (a string, or any other
 * JSON value, which is sent serialised as `application/json`), without calling upstream.
 * Content-Length is set by the proxy.
 */
import { compileCommon, COMMON_MESSAGE_ATTRIBUTES, statusAttr, validateByCompiling, type HttpMessageToxicDefinition } from '../http/message-toxic.js';
import { AttributeError, stringMapAttr } from '../http/attributes.js';
import type { ToxicAttributes } from '../toxic.js';

function compile(attributes: ToxicAttributes) {
  const common = compileCommon(attributes);
  const status = statusAttr(attributes.status, 'status', 500);
  if (status < 200) throw new AttributeError(`attribute 'status' must be a final status 200..599, got ${status}`);
  const headers = Object.entries(stringMapAttr(attributes, 'headers')).filter(
    // The proxy frames the body itself; a user-given length or encoding would corrupt the connection.
    ([name]) => !/^(content-length|transfer-encoding)$/i.test(name),
  );
  for (const [name, value] of headers) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || /[\r\n\0]/.test(value)) {
      throw new AttributeError(`attribute 'headers' has an invalid header '${name}'`);
    }
  }
  const raw = attributes.body;
  let body = '';
  if (typeof raw === 'string') body = raw;
  else if (raw !== null && raw !== undefined) {
    body = JSON.stringify(raw);
    if (!headers.some(([n]) => /^content-type$/i.test(n))) headers.push(['Content-Type', 'application/json']);
  }
  return { ...common, action: () => ({ kind: 'respond' as const, status, headers, body }) };
}

/** The `http_error` toxic: `{status: int (500), headers: {name: value}, body: string | JSON}` plus the matching attributes. */
export const httpErrorToxic: HttpMessageToxicDefinition = {
  type: 'http_error',
  kind: 'message',
  phase: 'request',
  goName: 'HttpErrorToxic',
  attributes: [
    { name: 'status', type: 'int' },
    { name: 'headers', type: 'json' },
    { name: 'body', type: 'json' },
    ...COMMON_MESSAGE_ATTRIBUTES,
  ],
  compile,
  validate: validateByCompiling(compile),
};
