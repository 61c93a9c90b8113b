/**
 * The checks a schema cannot express: names that must be unique, references that must resolve
 * (edges, faults, load target, budget phases, invariant agents), per-runtime requirements, and
 * fault types that must fit their edge and backend. It runs on the raw document even when the
 * schema found problems, so every check guards the shape it reads: one pass reports everything.
 */
import { splitCommandLine } from './command-line.js';
import { tryParseDuration } from './duration.js';
import { MESSAGE_TOXIC_TYPES, TCP_TOXIC_TYPES, TEMPLATE_PLACEHOLDERS } from './schema.js';
import { describeValue, didYouMean, type FieldPath, type ValidationIssue } from './validate-issue.js';

/** Which toxic types exist and which of them are message-level (need an http edge). */
export interface ToxicCatalogue {
  types: readonly string[];
  messageLevel: ReadonlySet<string>;
  /** Attribute names and Go types of `type`, when known (unknown names are then reported). */
  attributes?(type: string): ReadonlyArray<{ name: string; type: string }> | undefined;
  /** Words for "expected …" when `value` does not fit the Go attribute type `goType`, else undefined. */
  checkAttribute?(goType: string, value: unknown): string | undefined;
  /** The toxic's own check of its attributes (plus match/first/every): a message when invalid. */
  validate?(type: string, attributes: Record<string, unknown>): string | undefined;
}

/** The toxic types agentcheck's proxy serves (the list the chaos registry implements). */
export const defaultToxicCatalogue: ToxicCatalogue = {
  types: [...TCP_TOXIC_TYPES, ...MESSAGE_TOXIC_TYPES],
  messageLevel: new Set<string>(MESSAGE_TOXIC_TYPES),
};

/** Options of {@link validateScenarioSemantics}. */
export interface SemanticOptions {
  /** Default {@link defaultToxicCatalogue}. */
  toxics?: ToxicCatalogue;
  /**
   * Checks one SLO budget expression against the scenario's phases and edges (`from->to`): a
   * problem (`offset`: where in the expression it is) or undefined. Default: none here;
   * `validate.ts` plugs in the SLO grammar of src/load.
   */
  checkBudget?: (expression: string, context: BudgetCheckContext) => BudgetProblem | undefined;
}

/** What a budget may refer to. */
export interface BudgetCheckContext {
  phases: string[];
  edges: string[];
}

/** A budget expression's problem: the message and the character offset in the expression. */
export interface BudgetProblem {
  message: string;
  offset?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const MESSAGE_ONLY_FIELDS = ['match', 'probability', 'first', 'every'] as const;
const PLACEHOLDER = /\$\{([^}]*)\}/g;

/** Cross-field checks of a scenario document (raw, as parsed); returns every issue found. */
export function validateScenarioSemantics(doc: unknown, options: SemanticOptions = {}): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  if (!isObj(doc)) return out;
  const toxics = options.toxics ?? defaultToxicCatalogue;
  const runtime = doc.runtime === 'containers' ? 'containers' : 'process';
  const chaos = isObj(doc.chaos) ? doc.chaos : {};

  // Agents.
  const agentNames = new Map<string, number>();
  const ports = new Map<number, number>();
  listOf(doc.agents).forEach((agent, i) => {
    if (!isObj(agent)) return;
    const at = (...p: (string | number)[]): FieldPath => ['agents', i, ...p];
    const name = str(agent.name);
    if (name !== undefined) {
      const first = agentNames.get(name);
      if (first !== undefined) {
        out.push({ path: at('name'), message: `duplicate agent name "${name}" (also agents[${first}]), expected unique names` });
      } else agentNames.set(name, i);
    }
    if (runtime === 'process' && agent.command === undefined) {
      out.push({ path: at('command'), message: 'missing, expected a command: the process runtime starts each agent with one', at: 'parent' });
    }
    if (runtime === 'containers' && agent.image === undefined && agent.build === undefined) {
      out.push({ path: at('image'), message: 'missing, expected image or build: the containers runtime needs one', at: 'parent' });
    }
    if (agent.image !== undefined && agent.build !== undefined) {
      out.push({ path: at('build'), message: 'got both image and build, expected only one of them', at: 'key' });
    }
    if (typeof agent.command === 'string' && splitCommandLine(agent.command) === undefined) {
      out.push({ path: at('command'), message: 'got an unclosed quote or a trailing backslash, expected a complete command line' });
    }
    if (typeof agent.command === 'string' && agent.command.trim() === '' && agent.command !== '') {
      out.push({ path: at('command'), message: 'got only spaces, expected a command' });
    }
    if (typeof agent.port === 'number') {
      const first = ports.get(agent.port);
      if (first !== undefined) {
        out.push({ path: at('port'), message: `duplicate port ${agent.port} (also agents[${first}]), expected a distinct port or "auto"` });
      } else ports.set(agent.port, i);
    }
    if (isObj(agent.readiness) && agent.readiness.http !== undefined && agent.readiness.tcp !== undefined) {
      out.push({ path: at('readiness', 'tcp'), message: 'got both http and tcp, expected only one of them', at: 'key' });
    }
  });
  const agentRef = (value: unknown, path: FieldPath): void => {
    if (typeof value === 'string' && !agentNames.has(value)) {
      out.push({ path, message: `unknown agent "${value}"${didYouMean(value, agentNames.keys())}, expected one of: ${[...agentNames.keys()].join(', ') || '(no agents)'}` });
    }
  };

  // Edges.
  const edges = new Map<string, { index: number; protocol: string }>();
  const callerEnv = new Map<string, number>();
  listOf(doc.edges).forEach((edge, i) => {
    if (!isObj(edge)) return;
    agentRef(edge.from, ['edges', i, 'from']);
    agentRef(edge.to, ['edges', i, 'to']);
    const from = str(edge.from);
    const to = str(edge.to);
    if (from === undefined || to === undefined) return;
    if (from === to) out.push({ path: ['edges', i, 'to'], message: `got "${to}" calling itself, expected an edge between two different agents` });
    const id = `${from}->${to}`;
    const first = edges.get(id);
    if (first !== undefined) {
      out.push({ path: ['edges', i], message: `duplicate edge "${id}" (also edges[${first.index}]), expected one edge per caller and callee` });
    } else edges.set(id, { index: i, protocol: edge.protocol === 'tcp' ? 'tcp' : 'http' });
    const env = str(edge.env);
    if (env !== undefined) {
      const key = `${from}\u0000${env}`;
      const firstEnv = callerEnv.get(key);
      if (firstEnv !== undefined) {
        out.push({ path: ['edges', i, 'env'], message: `"${env}" is already set for "${from}" by edges[${firstEnv}], expected a distinct variable per callee` });
      } else callerEnv.set(key, i);
    }
  });

  // Phases and their faults.
  const phaseNames = new Map<string, number>();
  const hasLoad = isObj(doc.load);
  listOf(doc.phases).forEach((phase, p) => {
    if (!isObj(phase)) return;
    const name = str(phase.name);
    if (name !== undefined) {
      const first = phaseNames.get(name);
      if (first !== undefined) {
        out.push({ path: ['phases', p, 'name'], message: `duplicate phase name "${name}" (also phases[${first}]), expected unique names` });
      } else phaseNames.set(name, p);
    }
    if (tryParseDuration(phase.duration) === 0) {
      out.push({ path: ['phases', p, 'duration'], message: 'got 0, expected a duration > 0' });
    }
    if (phase.load !== undefined && !hasLoad) {
      out.push({ path: ['phases', p, 'load'], message: 'got a load override but the scenario has no load section, expected a top-level load', at: 'key' });
    }
    const toxicNames = new Map<string, number>();
    listOf(phase.faults).forEach((fault, f) => {
      if (!isObj(fault)) return;
      const at = (...q: (string | number)[]): FieldPath => ['phases', p, 'faults', f, ...q];
      const edgeId = str(fault.edge);
      const edge = edgeId !== undefined ? edges.get(edgeId) : undefined;
      if (edgeId !== undefined && edge === undefined && /->/.test(edgeId)) {
        const known = [...edges.keys()];
        out.push({ path: at('edge'), message: `unknown edge "${edgeId}"${didYouMean(edgeId, known)}, expected one of: ${known.join(', ') || '(no edges)'}` });
      }
      const type = str(fault.type);
      if (type === undefined || type === '') return;
      if (!toxics.types.includes(type)) {
        out.push({ path: at('type'), message: `unknown toxic type "${type}"${didYouMean(type, toxics.types)}, expected one of: ${toxics.types.join(', ')}` });
        return;
      }
      const messageLevel = toxics.messageLevel.has(type);
      if (messageLevel && edge?.protocol === 'tcp') {
        out.push({ path: at('type'), message: `"${type}" is a message-level toxic but edge "${edgeId}" is tcp, expected a TCP toxic (${TCP_TOXIC_TYPES.join(', ')}) or protocol: http on the edge` });
      }
      if (messageLevel && chaos.backend === 'toxiproxy') {
        out.push({ path: at('type'), message: `"${type}" is a message-level toxic that Toxiproxy does not serve, expected a TCP toxic (${TCP_TOXIC_TYPES.join(', ')}) or chaos.backend: embedded` });
      }
      if (!messageLevel) {
        for (const field of MESSAGE_ONLY_FIELDS) {
          if (fault[field] !== undefined) {
            out.push({ path: at(field), message: `"${field}" applies to message-level toxics only, expected it with one of: ${[...toxics.messageLevel].join(', ')}`, at: 'key' });
          }
        }
      }
      if (fault.first !== undefined && fault.every !== undefined) {
        out.push({ path: at('every'), message: 'got both first and every, expected only one of them', at: 'key' });
      }
      if (messageLevel && fault.probability !== undefined && fault.toxicity !== undefined) {
        out.push({ path: at('probability'), message: 'got both probability and toxicity, expected only one of them (a message-level toxic fires per request with probability = toxicity)', at: 'key' });
      }
      checkAttributes(fault, type, messageLevel, toxics, at, out);
      const toxicName = str(fault.name);
      if (toxicName !== undefined && edgeId !== undefined) {
        const key = `${edgeId}\u0000${toxicName}`;
        const first = toxicNames.get(key);
        if (first !== undefined) {
          out.push({ path: at('name'), message: `duplicate toxic name "${toxicName}" on edge "${edgeId}" (also faults[${first}]), expected unique names per edge and phase` });
        } else toxicNames.set(key, f);
      }
    });
  });
  const phaseRef = (value: unknown, path: FieldPath): void => {
    if (typeof value === 'string' && !phaseNames.has(value)) {
      out.push({ path, message: `unknown phase "${value}"${didYouMean(value, phaseNames.keys())}, expected one of: ${[...phaseNames.keys()].join(', ') || '(no phases)'}` });
    }
  };

  // Load.
  if (isObj(doc.load)) {
    agentRef(doc.load.target, ['load', 'target']);
    listOf(doc.load.requests).forEach((request, r) => {
      if (!isObj(request)) return;
      checkPlaceholders(request.path, ['load', 'requests', r, 'path'], out);
      if (isObj(request.headers)) {
        for (const [h, v] of Object.entries(request.headers)) checkPlaceholders(v, ['load', 'requests', r, 'headers', h], out);
      }
      checkPlaceholders(request.body, ['load', 'requests', r, 'body'], out);
    });
  }

  // Chaos backend.
  if (chaos.url !== undefined && chaos.backend === 'embedded') {
    out.push({ path: ['chaos', 'url'], message: 'url applies to the toxiproxy backend only, expected backend: toxiproxy or no url', at: 'key' });
  }

  // SLO budgets.
  listOf(doc.slo).forEach((slo, s) => {
    const expression = typeof slo === 'string' ? slo : isObj(slo) ? str(slo.budget) : undefined;
    const exprPath: FieldPath = typeof slo === 'string' ? ['slo', s] : ['slo', s, 'budget'];
    if (expression !== undefined && expression.trim() !== '' && options.checkBudget) {
      const problem = options.checkBudget(expression, { phases: [...phaseNames.keys()], edges: [...edges.keys()] });
      if (problem !== undefined) {
        out.push({ path: exprPath, message: problem.message, ...(problem.offset !== undefined ? { offset: problem.offset } : {}) });
      }
    }
    if (isObj(slo)) listOf(slo.phases).forEach((ph, k) => phaseRef(ph, ['slo', s, 'phases', k]));
  });

  // Invariants.
  const invariantNames = new Map<string, number>();
  listOf(doc.invariants).forEach((inv, i) => {
    if (!isObj(inv)) return;
    const name = str(inv.name);
    if (name !== undefined) {
      const first = invariantNames.get(name);
      if (first !== undefined) {
        out.push({ path: ['invariants', i, 'name'], message: `duplicate invariant name "${name}" (also invariants[${first}]), expected unique names` });
      } else invariantNames.set(name, i);
    }
    const kinds = (['http', 'command', 'exactly_once'] as const).filter((k) => inv[k] !== undefined);
    if (kinds.length === 0) {
      out.push({ path: ['invariants', i], message: 'got no check, expected one of: http, command, exactly_once' });
    } else if (kinds.length > 1) {
      out.push({ path: ['invariants', i, kinds[1] as string], message: `got ${kinds.join(' and ')}, expected exactly one of: http, command, exactly_once`, at: 'key' });
    }
    if (isObj(inv.http)) agentRef(inv.http.agent, ['invariants', i, 'http', 'agent']);
    if (typeof inv.command === 'string' && splitCommandLine(inv.command) === undefined) {
      out.push({ path: ['invariants', i, 'command'], message: 'got an unclosed quote or a trailing backslash, expected a complete command line' });
    }
    if (inv.during !== undefined && inv.exactly_once !== undefined) {
      out.push({ path: ['invariants', i, 'during'], message: 'exactly_once is judged once at the end (mid-run, requests in flight would look lost), expected during only on http or command checks', at: 'key' });
    }
    if (inv.interval !== undefined && inv.during === undefined) {
      out.push({ path: ['invariants', i, 'interval'], message: 'interval applies to sampling during phases, expected during: each-phase with it', at: 'key' });
    }
    if (isObj(inv.exactly_once)) {
      if (isObj(inv.exactly_once.effects)) agentRef(inv.exactly_once.effects.agent, ['invariants', i, 'exactly_once', 'effects', 'agent']);
      const join = inv.exactly_once.join;
      if (typeof join === 'string' && isObj(doc.load)) {
        const extracted = new Set<string>();
        for (const w of listOf(doc.load.workflows)) {
          for (const step of isObj(w) ? listOf(w.steps) : []) if (isObj(step) && isObj(step.extract)) Object.keys(step.extract).forEach((k) => extracted.add(k));
        }
        if (!extracted.has(join)) {
          const names = [...extracted];
          out.push({ path: ['invariants', i, 'exactly_once', 'join'], message: `got "${join}", expected a value a workflow step extracts${names.length ? ` (one of: ${names.join(', ')})` : ' (no step of load.workflows has an extract)'}` });
        }
      }
      if (!hasLoad) {
        out.push({ path: ['invariants', i, 'exactly_once'], message: 'exactly_once checks the keys the load submitted, expected a top-level load section', at: 'key' });
      }
    }
  });
  return out;
}

/** Attribute names and types against the catalogue, then the toxic's own check of the values. */
function checkAttributes(
  fault: Obj,
  type: string,
  messageLevel: boolean,
  toxics: ToxicCatalogue,
  at: (...p: (string | number)[]) => FieldPath,
  out: ValidationIssue[],
): void {
  const specs = toxics.attributes?.(type);
  if (specs === undefined || (fault.attributes !== undefined && !isObj(fault.attributes))) return;
  const attributes = isObj(fault.attributes) ? fault.attributes : {};
  const names = specs.map((s) => s.name);
  let clean = true;
  for (const [name, value] of Object.entries(attributes)) {
    const spec = specs.find((s) => s.name === name);
    if (spec === undefined) {
      clean = false;
      out.push({
        path: at('attributes', name),
        message: `unknown attribute of "${type}"${didYouMean(name, names)}, expected one of: ${names.join(', ') || '(none)'}`,
        at: 'key',
      });
      continue;
    }
    const expected = toxics.checkAttribute?.(spec.type, value);
    if (expected !== undefined) {
      clean = false;
      out.push({ path: at('attributes', name), message: `got ${describeValue(value)}, expected ${expected}` });
    }
  }
  if (!clean || toxics.validate === undefined) return;
  const full: Obj = { ...attributes };
  // As the API receives them; values the schema already rejected are left out so they are reported once.
  if (messageLevel) {
    if (isObj(fault.match)) full.match = fault.match;
    for (const k of ['first', 'every'] as const) {
      const v = fault[k];
      if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) full[k] = v;
    }
  }
  const problem = toxics.validate(type, full);
  if (problem === undefined) return;
  // Point at the attribute the toxic names when it is one the file sets.
  const named = /attribute '([^'.]+)/.exec(problem)?.[1];
  const path = named !== undefined && Object.hasOwn(attributes, named) ? at('attributes', named) : named !== undefined && fault[named] !== undefined ? at(named) : at('attributes');
  out.push({ path, message: `${problem}, expected a value the "${type}" toxic accepts`, ...(path.at(-1) === 'attributes' ? { at: 'key' as const } : {}) });
}

/** Reports `${name}` placeholders in any string inside `value` that the load driver does not know. */
function checkPlaceholders(value: unknown, path: FieldPath, out: ValidationIssue[], depth = 0): void {
  if (depth > 32) return;
  if (typeof value === 'string') {
    for (const m of value.matchAll(PLACEHOLDER)) {
      const name = (m[1] ?? '').trim(); // the driver trims too
      if (!TEMPLATE_PLACEHOLDERS.includes(name)) {
        out.push({
          path,
          message: `unknown placeholder "\${${name}}"${didYouMean(name, TEMPLATE_PLACEHOLDERS).replace(/"(.*)"/, '"$${$1}"')}, expected one of: ${TEMPLATE_PLACEHOLDERS.map((p) => '${' + p + '}').join(', ')}`,
        });
      }
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkPlaceholders(v, [...path, i], out, depth + 1));
  } else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) checkPlaceholders(v, [...path, k], out, depth + 1);
  }
}
