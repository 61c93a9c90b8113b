/**
 * What invariants may look at during and after a run: the agents' URLs and the load driver's
 * history keyed the way an `exactly_once` invariant asks. Shared by the drive stage (invariants
 * after each phase) and the judge stage (invariants at the end).
 */
import { compileTemplate, type CompiledTemplate } from '../../load/template.js';
import { parsePath, readPath, type JsonPath } from '../../workflow/path.js';
import type { InvariantContext } from '../invariants.js';
import type { ScenarioStep, ScenarioWorkflow } from '../types.js';
import type { RunContext } from './context.js';
import type { HistoryKeyOf, RunEvidence } from './evidence.js';

const alias = (s: string) => s.replaceAll('${idempotencyKey}', '${uuid}');

/** What keying reads of a step: its body (an event step's is under `publish`) and what it extracts. */
type KeyedStep = Pick<ScenarioStep, 'body' | 'extract'> & { publish?: { body?: unknown } };

/** The workflows keying reads: names and steps in order. */
export type KeyedWorkflow = Pick<ScenarioWorkflow, 'name'> & { steps: readonly KeyedStep[] };

/** Where a workflow submits its business key: the first step whose body has a value at the key path. */
interface KeyCarrier {
  /** Index of that step: a workflow that started fewer steps never submitted the key. */
  step: number;
  template: CompiledTemplate;
}

/** A step's body as JSON (a string body is JSON text when it parses), or undefined. */
function jsonBody(step: KeyedStep): unknown {
  const body = step.body ?? step.publish?.body;
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function keyCarrier(workflow: KeyedWorkflow, keyPath: JsonPath): KeyCarrier | undefined {
  const extracted: string[] = [];
  for (const [i, step] of workflow.steps.entries()) {
    const field = readPath(jsonBody(step), keyPath);
    if (typeof field === 'string' || typeof field === 'number' || typeof field === 'boolean') {
      const where = `load.workflows[${workflow.name}].steps[${i}].body.${keyPath.text}`;
      return { step: i, template: compileTemplate(alias(String(field)), where, { extracted }) };
    }
    extracted.push(...Object.keys(step.extract));
  }
  return undefined;
}

/**
 * How to turn a workflow's driver history into the business key an `exactly_once` invariant
 * judges by. Each workflow is keyed from its own first step whose body has a value at `keyPath`
 * (rendered with that workflow's uuid, seq, phase and, for `${taskId}`-style placeholders, what
 * it extracted); a workflow without such a step submits no key and is left out. When no workflow
 * carries the key in a body, every workflow is keyed by its Idempotency-Key.
 *
 * Left out also: a workflow that ended before the carrying step started, or that never extracted
 * a value the key is made of (it never submitted that key; an effect with it is then unexpected).
 */
export function historyKeyFor(workflows: readonly KeyedWorkflow[], keyPath: string): HistoryKeyOf {
  const path = parsePath(keyPath);
  const carriers = new Map<string, KeyCarrier | undefined>(workflows.map((w) => [w.name, keyCarrier(w, path)]));
  if (![...carriers.values()].some((c) => c !== undefined)) return (invoke) => invoke.key;
  return (invoke, done) => {
    const carrier = carriers.get(invoke.workflow);
    if (carrier === undefined) return undefined;
    if (done?.steps !== undefined && done.steps <= carrier.step) return undefined;
    const { uses } = carrier.template;
    const extracted = done?.extracted;
    if (uses.some((name) => extracted?.[name] === undefined)) return undefined;
    // The driver's uuid is the workflow id; the first step's Idempotency-Key is it by default.
    const uuid = invoke.workflowId || invoke.key;
    return carrier.template.render({ uuid, seq: invoke.seq, phase: invoke.phase, workflow: invoke.workflow, ...(extracted ? { extracted } : {}) });
  };
}

/** The invariant context of a run; `duplicatesDelivered` is known only once the journal is collected. */
export function invariantContext(ctx: RunContext, agentUrls: Map<string, string>, evidence: RunEvidence, duplicatesDelivered?: number): InvariantContext {
  const workflows = ctx.scenario.load?.workflows ?? [];
  return {
    agentUrls,
    history: ({ key, join }) => evidence.history(join !== undefined ? joinOn(join) : historyKeyFor(workflows, key)),
    ...(duplicatesDelivered !== undefined ? { duplicatesDelivered } : {}),
  };
}

/** The value a workflow extracted (known at its completion); none for a workflow that never got it. */
const joinOn = (name: string): HistoryKeyOf => (_invoke, done) => done?.extracted?.[name];
