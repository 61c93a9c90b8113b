/**
 * `drop` (message toxic, HTTP proxies only): the request is never delivered upstream. The caller
 * sees `mode` = `hang` (default: no answer until it gives up), `reset` (TCP RST), or `status`
 * (an empty response with `status`, default 503).
 */
import { compileCommon, COMMON_MESSAGE_ATTRIBUTES, modeAttr, statusAttr, validateByCompiling, type HttpMessageToxicDefinition } from '../http/message-toxic.js';
import type { ToxicAttributes } from '../toxic.js';

const MODES = ['hang', 'reset', 'status'] as const;

function compile(attributes: ToxicAttributes) {
  const common = compileCommon(attributes);
  const mode = modeAttr(attributes.mode, 'mode', 'hang', MODES);
  const status = statusAttr(attributes.status, 'status', 503);
  return { ...common, action: () => ({ kind: 'drop' as const, mode, status }) };
}

/** The `drop` toxic: `{mode: 'hang'|'reset'|'status', status: int (503)}` plus the matching attributes. */
export const dropToxic: HttpMessageToxicDefinition = {
  type: 'drop',
  kind: 'message',
  phase: 'request',
  goName: 'DropToxic',
  attributes: [{ name: 'mode', type: 'string' }, { name: 'status', type: 'int' }, ...COMMON_MESSAGE_ATTRIBUTES],
  compile,
  validate: validateByCompiling(compile),
};
