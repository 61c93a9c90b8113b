/**
 * `stream_cut` (message toxic, HTTP proxies only): for `text/event-stream` responses (A2A and MCP
 * streaming), delivers exactly `events` Server-Sent Events (default 0: cut right after the
 * response head), then cuts the connection: `mode` = `close` (default, FIN mid-body) or `reset`.
 * Decided when the response head arrives; responses that are not event streams are left alone.
 */
import { attrNumber, compileCommon, COMMON_MESSAGE_ATTRIBUTES, modeAttr, validateByCompiling, type HttpMessageToxicDefinition } from '../http/message-toxic.js';
import { AttributeError } from '../http/attributes.js';
import type { ToxicAttributes } from '../toxic.js';

const MODES = ['close', 'reset'] as const;

function compile(attributes: ToxicAttributes) {
  const common = compileCommon(attributes);
  const events = attrNumber(attributes.events);
  if (!Number.isInteger(events) || events < 0) throw new AttributeError(`attribute 'events' must be an integer ≥ 0, got ${events}`);
  const mode = modeAttr(attributes.mode, 'mode', 'close', MODES);
  return { ...common, action: () => ({ kind: 'stream_cut' as const, events, mode }) };
}

/** The `stream_cut` toxic: `{events: int (0), mode: 'close'|'reset'}` plus the matching attributes. */
export const streamCutToxic: HttpMessageToxicDefinition = {
  type: 'stream_cut',
  kind: 'message',
  phase: 'response',
  goName: 'StreamCutToxic',
  attributes: [{ name: 'events', type: 'int' }, { name: 'mode', type: 'string' }, ...COMMON_MESSAGE_ATTRIBUTES],
  compile,
  validate: validateByCompiling(compile),
};
