/**
 * `commit_then_drop` (message toxic, HTTP proxies only): the request is delivered and upstream
 * does the work, then its response is lost: the caller sees `mode` = `reset` (default), `hang`,
 * or `status` (an empty response with `status`, default 504). The worst case for at-least-once
 * retries: the effect happened, the caller believes it did not.
 */
import { compileCommon, COMMON_MESSAGE_ATTRIBUTES, modeAttr, statusAttr, validateByCompiling, type HttpMessageToxicDefinition } from '../http/message-toxic.js';
import type { ToxicAttributes } from '../toxic.js';

const MODES = ['reset', 'hang', 'status'] as const;

function compile(attributes: ToxicAttributes) {
  const common = compileCommon(attributes);
  const mode = modeAttr(attributes.mode, 'mode', 'reset', MODES);
  const status = statusAttr(attributes.status, 'status', 504);
  return { ...common, action: () => ({ kind: 'commit_then_drop' as const, mode, status }) };
}

/** The `commit_then_drop` toxic: `{mode: 'reset'|'hang'|'status', status: int (504)}` plus the matching attributes. */
export const commitThenDropToxic: HttpMessageToxicDefinition = {
  type: 'commit_then_drop',
  kind: 'message',
  phase: 'request',
  goName: 'CommitThenDropToxic',
  attributes: [{ name: 'mode', type: 'string' }, { name: 'status', type: 'int' }, ...COMMON_MESSAGE_ATTRIBUTES],
  compile,
  validate: validateByCompiling(compile),
};
