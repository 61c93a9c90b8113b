/**
 * The checks a schema cannot express: names that must be unique, references that must resolve
 * (edges, faults, load target, budget phases, invariant agents), per-runtime requirements, and
 * fault types that must fit their edge and backend. It runs on the raw document even when the
 * schema found problems, so every check guards the shape it reads: one pass reports everything.
 */
import { splitCommandLine } from './command-line.js';
import { checkEventSteps } from './validate-event-steps.js';
import { tryParseDuration } from './duration.js';
import { MESSAGE_TOXIC_TYPES, TCP_TOXIC_TYPES, TEMPLATE_PLACEHOLDERS } from './schema.js';
import { RESERVED_EDGE_ENV, RUNTIME_ENV } from './reserved-env.js';
import { attributeRangeProblem } from './validate-attribute-ranges.js';
import { describeValue, didYouMean, type FieldPath, type ValidationIssue } from './validate-issue.js';
import { checkJsonPath } from './validate-paths.js';
import { parseAllowTarget } from '../detect/topology-allow.js';

/** Which toxic types exist and which of them are message-level (need an http edge). */
export interface ToxicCatalogue {
  types: readonly string[];
  messageLevel: ReadonlySet<string>;
  /**
   * Attribute names and Go types of `type` on an edge of `protocol` (a nats edge's `drop` is the
   * NATS one), when known (unknown names are then reported).
   */
  attributes?(type: string, protocol?: string): ReadonlyArray<{ name: string; type: string }> | undefined;
  /** Words for "expected …" when `value` does not fit the Go attribute type `goType`, else undefined. */
  checkAttribute?(goType: string, value: unknown): string | undefined;
  /** The toxic's own check of its attributes (plus match/first/every): a message when invalid. */
  validate?(type: string, attributes: Record<string, unknown>, protocol?: string): string | undefined;
  /** Why a fault of `type` does not fit an edge of `protocol` (http_error on a nats edge), else undefined. */
  edgeProblem?(type: string, protocol: string, edgeId: string): string | undefined;
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
  /** The open-model load of each phase, when known: how many events a budget can get there. */
  phaseLoad?: PhaseLoad[];
  /** The phases the slo entry limits the budget to (its `phases`), when given. */
  scope?: string[];
}

/** How much load one phase gets: `rate` events per second for `seconds`. */
export interface PhaseLoad {
  name: string;
  rate: number;
  seconds: number;
}

/** `load.rate` when the scenario does not set it. */
export const DEFAULT_LOAD_RATE = 20;

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
  const attachedAgents = new Set<string>();
  const agentEnv = new Map<string, { index: number; names: Set<string> }>();
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
    // Attach mode (issue 17): an agent by url is already running; nothing may say how to start it.
    if (agent.url !== undefined) {
      if (name !== undefined) attachedAgents.add(name);
      for (const k of ['command', 'image', 'build', 'port', 'cwd'] as const) {
        if (agent[k] !== undefined) out.push({ path: at(k), message: `got both url and ${k}, expected only url: an agent by url is already running and agentcheck never starts it`, at: 'key' });
      }
      if (runtime === 'containers') out.push({ path: at('url'), message: 'got an agent by url with runtime: containers, expected runtime: process (the default) for attach mode', at: 'key' });
    } else if (runtime === 'process' && agent.command === undefined) {
      out.push({ path: at('command'), message: 'missing, expected a command: the process runtime starts each agent with one', at: 'parent' });
    }
    if (runtime === 'containers' && agent.url === undefined && agent.image === undefined && agent.build === undefined) {
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
    if (isObj(agent.env)) {
      if (name !== undefined && !agentEnv.has(name)) agentEnv.set(name, { index: i, names: new Set(Object.keys(agent.env)) });
      for (const name of Object.keys(agent.env)) {
        if (Object.hasOwn(RUNTIME_ENV, name)) out.push({ path: at('env', name), message: `got ${name}, but ${RUNTIME_ENV[name]}, expected other names`, at: 'key' });
      }
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
    } else edges.set(id, { index: i, protocol: edge.protocol === 'tcp' || edge.protocol === 'nats' ? edge.protocol : 'http' });
    const env = str(edge.env);
    if (edge.proxy !== undefined && runtime === 'containers') {
      out.push({ path: ['edges', i, 'proxy'], message: 'got a remote proxy with runtime: containers, expected runtime: process (the default): the containers runtime runs its own proxy container', at: 'key' });
    }
    if (attachedAgents.has(from)) {
      // agentcheck cannot set the environment of an agent it does not start: the deployment must
      // already route this caller through a proxy, which the edge names.
      if (edge.proxy === undefined) out.push({ path: ['edges', i], message: `"${from}" is attached by url, so agentcheck cannot point it at a proxy; expected proxy: { api, name } naming the proxy the deployment routes "${from}" -> "${to}" through`, at: 'key' });
      if (edge.env !== undefined) out.push({ path: ['edges', i, 'env'], message: `"${from}" is attached by url and its environment is not agentcheck's, expected no env (its peer URL is the deployment's)`, at: 'key' });
    } else if (edge.env === undefined) {
      out.push({ path: ['edges', i, 'env'], message: `missing, expected the environment variable "${from}" reads the proxied URL of "${to}" from`, at: 'parent' });
    }
    if (env !== undefined && Object.hasOwn(RESERVED_EDGE_ENV, env)) {
      out.push({ path: ['edges', i, 'env'], message: `got "${env}", which the edge would replace with the proxy URL in "${from}"'s environment, but ${RESERVED_EDGE_ENV[env]}; expected a name of your own such as ${to.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_URL` });
    }
    const own = env !== undefined ? agentEnv.get(from) : undefined;
    if (env !== undefined && own?.names.has(env)) {
      out.push({ path: ['edges', i, 'env'], message: `"${env}" is also set in agents[${own.index}].env, and the edge's proxy URL would replace it, expected a distinct variable` });
    }
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
    } else if (typeof phase.duration === 'number' && phase.duration > 0 && phase.duration < 1000) {
      // A phase of a few milliseconds cannot hold load or faults: almost always a missing unit.
      out.push({ path: ['phases', p, 'duration'], message: `got ${phase.duration} — did you mean "${phase.duration}s"? bare numbers are milliseconds, expected a duration with a unit ("${phase.duration}s", or "${phase.duration}ms" if meant)` });
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
      const misfit = edge !== undefined && edgeId !== undefined ? toxics.edgeProblem?.(type, edge.protocol, edgeId) : undefined;
      if (misfit !== undefined) out.push({ path: at('type'), message: misfit });
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
      checkAttributes(fault, type, messageLevel, toxics, at, out, edge?.protocol);
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
    checkLoadWorkflows(doc.load, out);
    checkEventSteps(doc, out, checkPlaceholders);
    if (typeof doc.load.generators === 'number' && doc.load.generators > 1 && doc.load.model === 'closed') {
      out.push({ path: ['load', 'generators'], message: 'got several generators with model: closed, expected the open model (the generators share one seeded arrival schedule)', at: 'key' });
    }
  }

  // Chaos backend.
  if (chaos.url !== undefined && chaos.backend === 'embedded') {
    out.push({ path: ['chaos', 'url'], message: 'url applies to the toxiproxy backend only, expected backend: toxiproxy or no url', at: 'key' });
  }

  // SLO budgets.
  const phaseLoad = openModelLoad(doc);
  listOf(doc.slo).forEach((slo, s) => {
    const expression = typeof slo === 'string' ? slo : isObj(slo) ? str(slo.budget) : undefined;
    const exprPath: FieldPath = typeof slo === 'string' ? ['slo', s] : ['slo', s, 'budget'];
    if (expression !== undefined && expression.trim() !== '' && options.checkBudget) {
      const scope = isObj(slo) && Array.isArray(slo.phases) ? slo.phases.filter((p): p is string => typeof p === 'string') : undefined;
      const context: BudgetCheckContext = { phases: [...phaseNames.keys()], edges: [...edges.keys()] };
      if (phaseLoad !== undefined) context.phaseLoad = phaseLoad;
      if (scope !== undefined) context.scope = scope;
      const problem = options.checkBudget(expression, context);
      if (problem !== undefined) {
        out.push({ path: exprPath, message: problem.message, ...(problem.offset !== undefined ? { offset: problem.offset } : {}) });
      }
    }
    if (isObj(slo)) listOf(slo.phases).forEach((ph, k) => phaseRef(ph, ['slo', s, 'phases', k]));
  });

  // Invariants.
  // Detectors: the cycles a loops detector may allow are declared edges.
  if (isObj(doc.detectors) && isObj(doc.detectors.loops)) {
    listOf(doc.detectors.loops.allow).forEach((edgeId, i) => {
      if (typeof edgeId === 'string' && !edges.has(edgeId)) {
        const known = [...edges.keys()];
        out.push({ path: ['detectors', 'loops', 'allow', i], message: `unknown edge "${edgeId}"${didYouMean(edgeId, known)}, expected one of: ${known.join(', ') || '(no edges)'}` });
      }
    });
  }

  // Topology: each declared outside dependency parses (host, port, CIDR), and its caller is an agent.
  if (isObj(doc.detectors) && isObj(doc.detectors.topology)) {
    listOf(doc.detectors.topology.allow).forEach((entry, i) => {
      const at: FieldPath = ['detectors', 'topology', 'allow', i];
      const target = typeof entry === 'string' ? entry : isObj(entry) ? str(entry.to) : undefined;
      if (isObj(entry)) agentRef(entry.from, [...at, 'from']);
      const problem = target === undefined ? undefined : parseAllowTarget(target);
      if (typeof problem === 'string') out.push({ path: typeof entry === 'string' ? at : [...at, 'to'], message: problem });
    });
  }

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
      if (isObj(inv.exactly_once.effects)) {
        agentRef(inv.exactly_once.effects.agent, ['invariants', i, 'exactly_once', 'effects', 'agent']);
        checkJsonPath(inv.exactly_once.effects.list, ['invariants', i, 'exactly_once', 'effects', 'list'], out);
      }
      checkJsonPath(inv.exactly_once.key, ['invariants', i, 'exactly_once', 'key'], out);
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

/**
 * Each phase's open-model load (rate × the part of the phase the load covers), for the budgets'
 * sample-size check; undefined when it is not known: no load, the closed model (its rate is
 * whatever the agents answer), or a phase or load shape the schema already reports.
 */
function openModelLoad(doc: Obj): PhaseLoad[] | undefined {
  const load = doc.load;
  if (!isObj(load) || (load.model !== undefined && load.model !== 'open')) return undefined;
  const rate = load.rate === undefined ? DEFAULT_LOAD_RATE : load.rate;
  if (typeof rate !== 'number' || !(rate > 0)) return undefined;
  const loadMs = load.duration === undefined ? Infinity : tryParseDuration(load.duration);
  if (loadMs === undefined) return undefined;
  const out: PhaseLoad[] = [];
  let startMs = 0;
  for (const phase of listOf(doc.phases)) {
    if (!isObj(phase)) return undefined;
    const ms = tryParseDuration(phase.duration);
    const name = str(phase.name);
    if (ms === undefined || name === undefined) return undefined;
    const override = isObj(phase.load) ? phase.load.rate : undefined;
    const phaseRate = typeof override === 'number' && override > 0 ? override : rate;
    const covered = Math.max(0, Math.min(startMs + ms, loadMs) - startMs);
    out.push({ name, rate: phaseRate, seconds: covered / 1000 });
    startMs += ms;
  }
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
  protocol?: string,
): void {
  const specs = toxics.attributes?.(type, protocol);
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
    const expected = toxics.checkAttribute?.(spec.type, value) ?? attributeRangeProblem(type, name, value);
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
  const problem = toxics.validate(type, full, protocol);
  if (problem === undefined) return;
  // Point at the attribute the toxic names when it is one the file sets.
  const named = /attribute '([^'.]+)/.exec(problem)?.[1];
  const path = named !== undefined && Object.hasOwn(attributes, named) ? at('attributes', named) : named !== undefined && fault[named] !== undefined ? at(named) : at('attributes');
  out.push({ path, message: `${problem}, expected a value the "${type}" toxic accepts`, ...(path.at(-1) === 'attributes' ? { at: 'key' as const } : {}) });
}

/** Reports `${name}` placeholders in any string inside `value` that the load driver does not know. */
function checkPlaceholders(value: unknown, path: FieldPath, out: ValidationIssue[], depth = 0, extracted: readonly string[] = []): void {
  if (depth > 32) return;
  if (typeof value === 'string') {
    const valid = [...TEMPLATE_PLACEHOLDERS, ...extracted];
    for (const m of value.matchAll(PLACEHOLDER)) {
      const name = (m[1] ?? '').trim(); // the driver trims too
      if (!valid.includes(name)) {
        out.push({
          path,
          message: `unknown placeholder "\${${name}}"${didYouMean(name, valid).replace(/"(.*)"/, '"$${$1}"')}, expected one of: ${valid.map((p) => '${' + p + '}').join(', ')}${extracted.length === 0 && path.includes('steps') ? ' (a step may use the names earlier steps extract)' : ''}`,
        });
      }
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkPlaceholders(v, [...path, i], out, depth + 1, extracted));
  } else if (isObj(value)) {
    for (const [k, v] of Object.entries(value)) checkPlaceholders(v, [...path, k], out, depth + 1, extracted);
  }
}

const EXTRACT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The workflows of a load section: something to drive (workflows or requests), unique workflow
 * and step names, extract names and paths the driver can use, and placeholders that only name
 * built-ins or values an earlier step of the same workflow extracts.
 */
function checkLoadWorkflows(load: Obj, out: ValidationIssue[]): void {
  if (load.workflows === undefined && load.requests === undefined) {
    out.push({ path: ['load', 'workflows'], message: 'missing, expected workflows or requests: the load needs something to send', at: 'parent' });
  }
  const names = new Map<string, string>();
  const requests = listOf(load.requests);
  requests.forEach((r, i) => {
    if (!isObj(r)) return;
    const name = str(r.name) ?? (requests.length === 1 ? 'default' : `request${i + 1}`);
    names.set(name, `requests[${i}]`);
  });
  listOf(load.workflows).forEach((w, wi) => {
    if (!isObj(w)) return;
    const at = (...p: (string | number)[]): FieldPath => ['load', 'workflows', wi, ...p];
    const name = str(w.name);
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined) out.push({ path: at('name'), message: `duplicate workflow name "${name}" (also load.${first}), expected unique names` });
      else names.set(name, `workflows[${wi}]`);
    }
    const extracted: string[] = [];
    const stepNames = new Map<string, number>();
    listOf(w.steps).forEach((step, si) => {
      if (!isObj(step)) return;
      const sat = (...p: (string | number)[]): FieldPath => at('steps', si, ...p);
      const stepName = str(step.name) ?? `step${si + 1}`;
      const first = stepNames.get(stepName);
      if (first !== undefined) out.push({ path: sat('name'), message: `duplicate step name "${stepName}" (also steps[${first}]), expected unique names in a workflow` });
      else stepNames.set(stepName, si);
      checkPlaceholders(step.path, sat('path'), out, 0, extracted);
      if (isObj(step.headers)) for (const [h, v] of Object.entries(step.headers)) checkPlaceholders(v, sat('headers', h), out, 0, extracted);
      checkPlaceholders(step.body, sat('body'), out, 0, extracted);
      const paths: Array<[unknown, FieldPath]> = [];
      if (isObj(step.until)) paths.push([step.until.path, sat('until', 'path')]);
      if ((step.interval !== undefined || step.timeout !== undefined) && step.until === undefined) {
        out.push({ path: sat(step.interval !== undefined ? 'interval' : 'timeout'), message: 'applies to poll steps only, expected it with until', at: 'key' });
      }
      if (isObj(step.extract)) {
        for (const [n, p] of Object.entries(step.extract)) {
          if (!EXTRACT_NAME.test(n)) out.push({ path: sat('extract', n), message: `got "${n}", expected a name made of letters, digits and "_" (used as \${${n}})`, at: 'key' });
          else if ((TEMPLATE_PLACEHOLDERS as readonly string[]).includes(n)) out.push({ path: sat('extract', n), message: `"${n}" is a built-in placeholder, expected another name`, at: 'key' });
          paths.push([p, sat('extract', n)]);
        }
      }
      for (const [p, where] of paths) checkJsonPath(p, where, out);
      // Names extracted here are usable from the next step on.
      if (isObj(step.extract)) for (const n of Object.keys(step.extract)) if (EXTRACT_NAME.test(n) && !extracted.includes(n)) extracted.push(n);
    });
  });
}
