/** `noop`: passes data through untouched (no attributes). */
import type { StreamToxicDefinition } from '../toxic.js';

/** The `noop` toxic: no attributes, no effect (its stage is skipped entirely, so it costs nothing). */
export const noopToxic: StreamToxicDefinition = {
  type: 'noop',
  kind: 'stream',
  goName: 'NoopToxic',
  attributes: [],
  createStage: () => null,
};
