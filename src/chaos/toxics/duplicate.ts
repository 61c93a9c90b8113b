/**
 * `duplicate` (message toxic, HTTP proxies only): the request is delivered `copies` extra times
 * (default 1), `sequential` (default: each copy after the previous delivery's response, like a
 * retry) or `concurrent` (all at once, like a retry storm). The caller gets the response to the
 * original delivery; the copies' responses are discarded and recorded. This is the fault that
 * tests idempotency.
 */
import { attrNumber, compileCommon, COMMON_MESSAGE_ATTRIBUTES, modeAttr, validateByCompiling, type HttpMessageToxicDefinition } from '../http/message-toxic.js';
import { AttributeError } from '../http/attributes.js';
import type { ToxicAttributes } from '../toxic.js';

const MODES = ['sequential', 'concurrent'] as const;

function compile(attributes: ToxicAttributes) {
  const common = compileCommon(attributes);
  const raw = attrNumber(attributes.copies);
  if (raw < 0 || raw > 100 || !Number.isInteger(raw)) {
    throw new AttributeError(`attribute 'copies' must be an integer between 0 and 100, got ${raw}`);
  }
  const copies = raw === 0 ? 1 : raw;
  const mode = modeAttr(attributes.mode, 'mode', 'sequential', MODES);
  return { ...common, action: () => ({ kind: 'duplicate' as const, copies, mode }) };
}

/** The `duplicate` toxic: `{copies: int (1), mode: 'sequential'|'concurrent'}` plus the matching attributes. */
export const duplicateToxic: HttpMessageToxicDefinition = {
  type: 'duplicate',
  kind: 'message',
  phase: 'request',
  goName: 'DuplicateToxic',
  attributes: [{ name: 'copies', type: 'int' }, { name: 'mode', type: 'string' }, ...COMMON_MESSAGE_ATTRIBUTES],
  compile,
  validate: validateByCompiling(compile),
};
