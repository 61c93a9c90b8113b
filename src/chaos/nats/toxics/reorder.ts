/**
 * `reorder` on a `nats` proxy: matching messages are held in a window per connection and
 * direction, and released together in a seeded order that differs from the arrival order. The
 * window is released when it holds `window` messages (default 2) or when its oldest message has
 * waited `window_ms` (default 1000), whichever comes first, so a quiet stream is never held
 * for long. Non-matching messages pass the window.
 */
import { AttributeError } from '../../http/attributes.js';
import { attrNumber } from '../../http/message-toxic.js';
import type { ToxicAttributes } from '../../toxic.js';
import { compileNatsCommon, natsToxic } from '../message-toxic.js';

const MAX_WINDOW = 10_000;

function compile(attributes: ToxicAttributes) {
  const window = attrNumber(attributes.window);
  const windowMs = attrNumber(attributes.window_ms);
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW) {
    throw new AttributeError(`attribute 'window' must be an integer between 0 and ${MAX_WINDOW}, got ${window}`);
  }
  if (!Number.isInteger(windowMs) || windowMs < 0) throw new AttributeError(`attribute 'window_ms' must be 0 or more, got ${windowMs}`);
  if (window === 1) throw new AttributeError("attribute 'window' must be 2 or more (a window of 1 cannot reorder)");
  const action = { kind: 'reorder' as const, window: window === 0 ? (windowMs > 0 ? MAX_WINDOW : 2) : window, windowMs: windowMs === 0 ? 1000 : windowMs };
  return { ...compileNatsCommon(attributes), candidates: 'messages' as const, action: () => action };
}

/** The NATS `reorder` toxic: `{window: int (2), window_ms: int64 (1000)}` plus the matching attributes. */
export const natsReorderToxic = natsToxic(
  'reorder',
  'NatsReorderToxic',
  [
    { name: 'window', type: 'int' },
    { name: 'window_ms', type: 'int64' },
  ],
  compile,
);
