/**
 * What invariants may look at during and after a run: the agents' URLs and the load driver's
 * history keyed the way an `exactly_once` invariant asks. Shared by the drive stage (invariants
 * after each phase) and the judge stage (invariants at the end).
 */
import { compileTemplate } from '../../load/template.js';
import type { InvariantContext } from '../invariants.js';
import type { ScenarioRequest } from '../types.js';
import type { RunContext } from './context.js';
import type { HistoryKeyOf, RunEvent, RunEvidence } from './evidence.js';

const alias = (s: string) => s.replaceAll('${idempotencyKey}', '${uuid}');

/**
 * How to turn a driver history event into the business key an `exactly_once` invariant judges
 * by: the request body's field `keyField` rendered with the request's variables, or the
 * Idempotency-Key itself when the body has no such field.
 */
export function historyKeyFor(request: ScenarioRequest | undefined, keyField: string): (e: RunEvent) => string {
  const keyTemplate = Object.entries(request?.headers ?? {}).find(([name]) => name.toLowerCase() === 'idempotency-key')?.[1] ?? '${uuid}';
  const field = request?.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>)[keyField] : undefined;
  if (typeof field !== 'string') return (e) => e.key;
  const template = compileTemplate(alias(field), `load.requests[0].body.${keyField}`);
  // The driver reports the rendered Idempotency-Key; when it is the bare uuid, it is the uuid.
  const keyIsUuid = alias(keyTemplate) === '${uuid}';
  return (e) => (keyIsUuid ? template.render({ uuid: e.key, seq: e.seq, phase: e.phase }) : e.key);
}

/** The invariant context of a run; `duplicatesDelivered` is known only once the journal is collected. */
export function invariantContext(ctx: RunContext, agentUrls: Map<string, string>, evidence: RunEvidence, duplicatesDelivered?: number): InvariantContext {
  const request = ctx.scenario.load?.requests[0];
  return {
    agentUrls,
    history: ({ key, join }) => evidence.history(join !== undefined ? joinOn(join) : bodyKey(historyKeyFor(request, key))),
    ...(duplicatesDelivered !== undefined ? { duplicatesDelivered } : {}),
  };
}

const bodyKey = (keyOf: (e: RunEvent) => string): HistoryKeyOf => (invoke) => keyOf(invoke);

/** The value a workflow extracted (known at its completion); none for a workflow that never got it. */
const joinOn = (name: string): HistoryKeyOf => (_invoke, done) => done?.extracted?.[name];
