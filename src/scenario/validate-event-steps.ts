/**
 * The checks of a load's event steps (`publish`, `await_event`) a schema cannot express: a step is
 * exactly one of an HTTP request, a publish and an await; subjects are ones NATS accepts; match
 * paths parse; placeholders name built-ins or earlier extracts; and every event step has a broker
 * (its `via` agent, `load.nats`, or the scenario's one broker agent), else it could not run.
 */
import { didYouMean, type FieldPath, type ValidationIssue } from './validate-issue.js';
import { checkJsonPath } from './validate-paths.js';
import { validSubject, validSubscribeSubject } from '../workflow/nats.js';
import { defaultBrokerAgent } from '../workflow/scenario.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const EXTRACT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Fields only an HTTP step has. */
const HTTP_ONLY = ['method', 'headers', 'body', 'until', 'interval'] as const;

/** Reports unknown placeholders in a value (validate-semantics' own check, passed in). */
export type PlaceholderCheck = (value: unknown, path: FieldPath, out: ValidationIssue[], depth: number, extracted: readonly string[]) => void;

/** Checks every event step of `doc.load`; `checkPlaceholders` is the HTTP steps' placeholder check. */
export function checkEventSteps(doc: Obj, out: ValidationIssue[], checkPlaceholders: PlaceholderCheck): void {
  const load = doc.load;
  if (!isObj(load)) return;
  const agents = listOf(doc.agents).flatMap((a) => (isObj(a) && typeof a.name === 'string' ? [a.name] : []));
  const natsEdgeTargets = listOf(doc.edges).flatMap((e) => (isObj(e) && e.protocol === 'nats' && typeof e.to === 'string' ? [e.to] : []));
  const target = typeof load.target === 'string' ? load.target : '';
  const defaultBroker = load.nats === undefined ? defaultBrokerAgent({ target, natsEdgeTargets }) : undefined;
  listOf(load.workflows).forEach((w, wi) => {
    if (!isObj(w)) return;
    const extracted: string[] = [];
    listOf(w.steps).forEach((step, si) => {
      if (!isObj(step)) return;
      const at = (...p: (string | number)[]): FieldPath => ['load', 'workflows', wi, 'steps', si, ...p];
      const kinds = (['path', 'publish', 'await_event'] as const).filter((k) => step[k] !== undefined);
      if (kinds.length === 0) out.push({ path: at('path'), message: 'missing, expected path (an HTTP request), publish or await_event', at: 'parent' });
      if (kinds.length > 1) out.push({ path: at(kinds[1]!), message: `got both ${kinds[0]} and ${kinds[1]}, expected one of path, publish, await_event per step`, at: 'key' });
      const event = step.publish !== undefined || step.await_event !== undefined;
      if (!event) {
        if (step.via !== undefined) out.push({ path: at('via'), message: 'applies to event steps only, expected it with publish or await_event', at: 'key' });
      } else {
        for (const k of HTTP_ONLY) {
          if (step[k] !== undefined && step.path === undefined) out.push({ path: at(k), message: `applies to HTTP steps only, expected it with path (an event step has ${step.publish !== undefined ? 'publish.headers and publish.body' : 'no request'})`, at: 'key' });
        }
        checkBroker(step, at, { agents, defaultBroker, natsEdgeTargets, hasNats: load.nats !== undefined }, out);
      }
      if (isObj(step.publish)) checkPublish(step.publish, (...p) => at('publish', ...p), extracted, out, checkPlaceholders);
      if (isObj(step.await_event)) checkAwait(step.await_event, (...p) => at('await_event', ...p), extracted, out, checkPlaceholders);
      if (isObj(step.extract)) for (const n of Object.keys(step.extract)) if (EXTRACT_NAME.test(n) && !extracted.includes(n)) extracted.push(n);
    });
  });
}

function checkBroker(step: Obj, at: (...p: (string | number)[]) => FieldPath, ctx: { agents: string[]; defaultBroker: string | undefined; natsEdgeTargets: string[]; hasNats: boolean }, out: ValidationIssue[]): void {
  if (typeof step.via === 'string') {
    if (!ctx.agents.includes(step.via)) out.push({ path: at('via'), message: `unknown agent "${step.via}"${didYouMean(step.via, ctx.agents)}, expected the broker agent, one of: ${ctx.agents.join(', ') || '(no agents)'}` });
    return;
  }
  if (step.via !== undefined || ctx.hasNats || ctx.defaultBroker !== undefined) return;
  const brokers = [...new Set(ctx.natsEdgeTargets)];
  const why = brokers.length === 0 ? 'no nats edge leads to a broker agent' : `nats edges lead to several agents (${brokers.join(', ')})`;
  out.push({ path: at('via'), message: `missing, expected via: <broker agent> or load.nats: nats://host:port (the step needs a NATS broker and ${why})`, at: 'parent' });
}

function checkPublish(p: Obj, at: (...p: (string | number)[]) => FieldPath, extracted: readonly string[], out: ValidationIssue[], checkPlaceholders: PlaceholderCheck): void {
  if (typeof p.subject === 'string' && p.subject !== '') {
    if (!p.subject.includes('${') && !validSubject(p.subject)) {
      out.push({ path: at('subject'), message: `got "${p.subject}", expected a subject to publish to: dot-separated tokens without spaces or wildcards, e.g. order.placed` });
    }
    checkPlaceholders(p.subject, at('subject'), out, 0, extracted);
  }
  if (isObj(p.headers)) {
    for (const [h, v] of Object.entries(p.headers)) {
      if (!HEADER_NAME.test(h)) out.push({ path: at('headers', h), message: `got "${h}", expected a header name (letters, digits and !#$%&'*+.^_\`|~-)`, at: 'key' });
      checkPlaceholders(v, at('headers', h), out, 0, extracted);
    }
  }
  checkPlaceholders(p.body, at('body'), out, 0, extracted);
}

function checkAwait(a: Obj, at: (...p: (string | number)[]) => FieldPath, extracted: readonly string[], out: ValidationIssue[], checkPlaceholders: PlaceholderCheck): void {
  if (typeof a.subject === 'string' && a.subject !== '') {
    if (a.subject.includes('${')) out.push({ path: at('subject'), message: `got "${a.subject}", expected a subject without placeholders: it is subscribed to before the run; match the workflow's event with match: { path, equals: "\${uuid}" }` });
    else if (!validSubscribeSubject(a.subject)) out.push({ path: at('subject'), message: `got "${a.subject}", expected a subject to subscribe to: dot-separated tokens, * for one token, > for the rest` });
  }
  if (!isObj(a.match)) return;
  checkJsonPath(a.match.path, at('match', 'path'), out);
  if (typeof a.match.equals === 'string') {
    checkPlaceholders(a.match.equals, at('match', 'equals'), out, 0, extracted);
    if (a.match.equals === '') out.push({ path: at('match', 'equals'), message: `got "", expected the value that identifies this workflow's event, e.g. "\${uuid}"` });
  }
}
