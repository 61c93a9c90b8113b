/**
 * The typed provider-state registry. State names and their parameter types are declared once;
 * consumer tests reference states through it (`states.orderExists({ orderId })`) and providers
 * implement handlers through it (`states.handlers({ 'order exists': async ({ orderId }) => … })`),
 * so a missing handler or a wrong parameter is a compile error. At verification time the same
 * registry gives clear errors naming the state (missing handler, missing or mistyped parameter).
 */
import { AgentcheckError } from '../errors.js';

/** A JSON value as Pact stores it in provider-state parameters. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** What a state's parameters may be: an object of JSON-compatible fields, or `void` for none. */
export type StateParams = object | void | undefined;

/** The declaration of a provider's states: state name → parameter type (`void` for none). */
export type StateDeclarations = { [name: string]: StateParams };

/** A reference to one provider state with its parameters, as `.given(...)` takes it. */
export interface ProviderStateRef<Name extends string = string> {
  readonly name: Name;
  readonly params?: JsonObject;
}

/** Runtime parameter types a registry can check at verification time. */
export type ParamKind = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'any';

/** A runtime description of the states: state name → parameter name → kind. */
export type StateSchema = { [name: string]: { [param: string]: ParamKind } };

type KindToType<K extends ParamKind> = K extends 'string'
  ? string
  : K extends 'number' | 'integer'
    ? number
    : K extends 'boolean'
      ? boolean
      : K extends 'object'
        ? JsonObject
        : K extends 'array'
          ? JsonValue[]
          : JsonValue;

/** The parameter types a {@link StateSchema} describes. */
export type StatesOfSchema<Sch extends StateSchema> = {
  [N in keyof Sch]: keyof Sch[N] extends never ? void : { [P in keyof Sch[N]]: KindToType<Sch[N][P]> };
};

// ---- accessor names: 'order exists' → orderExists -----------------------------------------

type Lower = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i' | 'j' | 'k' | 'l' | 'm' | 'n' | 'o' | 'p' | 'q' | 'r' | 's' | 't' | 'u' | 'v' | 'w' | 'x' | 'y' | 'z';
type Digit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9';
type WordTail<S extends string> = S extends '' ? true : S extends `${infer C}${infer R}` ? (C extends Lower | Digit ? WordTail<R> : false) : false;
type IsWord<S extends string> = S extends `${infer C}${infer R}` ? (C extends Lower ? WordTail<R> : false) : false;
type IsSimpleName<S extends string> = S extends `${infer W} ${infer R}` ? (IsWord<W> extends true ? IsSimpleName<R> : false) : IsWord<S>;
type CamelCase<S extends string> = S extends `${infer H} ${infer T}` ? `${H}${Capitalize<CamelCase<T>>}` : S;

/**
 * One accessor per state whose name is lower-case words (`'order exists'` → `orderExists`);
 * names with other characters are reached through `ref(name, params)`.
 */
export type StateAccessors<S extends StateDeclarations> = {
  [K in keyof S & string as IsSimpleName<K> extends true ? CamelCase<K> : never]: S[K] extends void | undefined
    ? () => ProviderStateRef<K>
    : (params: S[K]) => ProviderStateRef<K>;
};

/** What a state handler gets besides the parameters. */
export interface StateContext {
  /** The state being set up or torn down. */
  state: string;
  action: 'setup' | 'teardown';
  /** The provider under verification. */
  provider: string;
  /** Base URL of the provider (not the verifier's proxy). */
  providerUrl: string;
  /** Base URLs of every agent agentcheck started for this verification, by name. */
  agents: Readonly<Record<string, string>>;
}

/** A handler's answer: nothing, or values Pact injects through `fromProviderState` matchers. */
export type StateHandlerResult = void | undefined | JsonObject;

/** Sets up one provider state; gets the state's parameters (typed by the registry). */
export type StateSetup<P> = (params: P, ctx: StateContext) => StateHandlerResult | Promise<StateHandlerResult>;

/** A state handler: a setup function, or setup and teardown. */
export type StateHandler<P> = StateSetup<P> | { setup?: StateSetup<P>; teardown?: StateSetup<P> };

/** One handler per declared state: omitting one is a compile error. */
export type StateHandlerMap<S extends StateDeclarations> = { [K in keyof S]: StateHandler<S[K] extends void | undefined ? undefined : S[K]> };

/** What a message producer gets: the interaction it must produce a message for. */
export interface MessageContext extends Omit<StateContext, 'state' | 'action'> {
  description: string;
  /** The provider states of the interaction, already set up. */
  states: ProviderStateRef[];
}

/** A produced message: its JSON content and optional metadata (e.g. `contentType`). */
export interface ProducedMessage {
  content: JsonValue;
  metadata?: Record<string, string>;
}

/** Produces the message a message interaction describes (by description): `{ content, metadata? }`. */
export type MessageProducer = (ctx: MessageContext) => Promise<ProducedMessage> | ProducedMessage;

/** The brand that marks a handlers object; the state-handler module loader checks it. */
export const STATE_HANDLERS_KIND = 'agentcheck.provider-state-handlers';

/** Untyped view of a provider's handlers, as the verifier uses them. */
export interface ProviderStateHandlers {
  readonly kind: typeof STATE_HANDLERS_KIND;
  /** Handlers by state name. */
  readonly states: Readonly<Record<string, { setup?: StateSetup<unknown>; teardown?: StateSetup<unknown> }>>;
  /** Message producers by interaction description. */
  readonly messages: Readonly<Record<string, MessageProducer>>;
  /** The parameter schema, when the registry was declared with one. */
  readonly schema?: StateSchema;
}

/** The typed registry {@link defineProviderStates} returns. */
export type ProviderStates<S extends StateDeclarations> = StateAccessors<S> & {
  /** A reference to any declared state (also those whose names are not plain words). */
  ref<K extends keyof S & string>(name: K, ...params: S[K] extends void | undefined ? [] : [S[K]]): ProviderStateRef<K>;
  /** Provider side: one handler per declared state (a missing one is a compile error), plus message producers. */
  handlers(handlers: StateHandlerMap<S>, options?: { messages?: Record<string, MessageProducer> }): ProviderStateHandlers;
  /** The runtime schema, when declared with one. */
  readonly schema?: StateSchema;
};

const KINDS: readonly ParamKind[] = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'any'];

/** `orderExists` → `order exists`: the inverse of the accessor naming for plain-word names. */
export function stateNameFromAccessor(accessor: string): string {
  return accessor.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

function toParams(name: string, params: unknown): JsonObject | undefined {
  if (params === undefined) return undefined;
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new AgentcheckError('usage', `provider state '${name}': parameters must be an object, got ${JSON.stringify(params)}`);
  }
  return params as JsonObject;
}

/**
 * Declares a provider's states once. Type-only form: `defineProviderStates<{ 'order exists': { orderId: string } }>()`;
 * with a runtime schema (`defineProviderStates({ 'order exists': { orderId: 'string' } })`) the verifier also
 * checks each pact's parameters and names the state and parameter when one is missing or mistyped.
 */
export function defineProviderStates<S extends StateDeclarations>(): ProviderStates<S>;
export function defineProviderStates<const Sch extends StateSchema>(schema: Sch): ProviderStates<StatesOfSchema<Sch>>;
export function defineProviderStates(schema?: StateSchema): ProviderStates<StateDeclarations> {
  if (schema !== undefined) {
    for (const [name, params] of Object.entries(schema)) {
      for (const [param, kind] of Object.entries(params)) {
        if (!KINDS.includes(kind)) {
          throw new AgentcheckError('usage', `provider state '${name}': parameter '${param}' has unknown kind '${String(kind)}'`, `use one of ${KINDS.join(', ')}`);
        }
      }
    }
  }
  const ref = (name: string, params?: unknown): ProviderStateRef => {
    if (schema && !(name in schema)) {
      throw new AgentcheckError('usage', `unknown provider state '${name}'`, `declared states: ${Object.keys(schema).map((s) => `'${s}'`).join(', ')}`);
    }
    const p = toParams(name, params);
    return p === undefined ? { name } : { name, params: p };
  };
  const handlers = (map: Record<string, StateHandler<unknown>>, options?: { messages?: Record<string, MessageProducer> }): ProviderStateHandlers => {
    const states: Record<string, { setup?: StateSetup<unknown>; teardown?: StateSetup<unknown> }> = {};
    for (const [name, h] of Object.entries(map)) {
      if (schema && !(name in schema)) {
        throw new AgentcheckError('usage', `handler for unknown provider state '${name}'`, `declared states: ${Object.keys(schema).map((s) => `'${s}'`).join(', ')}`);
      }
      states[name] = typeof h === 'function' ? { setup: h } : { ...h };
    }
    return { kind: STATE_HANDLERS_KIND, states, messages: { ...options?.messages }, ...(schema ? { schema } : {}) };
  };
  const base = { ref, handlers, ...(schema ? { schema } : {}) };
  return new Proxy(base, {
    get(target, prop, receiver) {
      if (typeof prop !== 'string' || prop in target) return Reflect.get(target, prop, receiver);
      // Not accessors: `then` and `toJSON` must stay undefined so a registry is never mistaken for a
      // promise or serialised as functions; `schema` is absent on a type-only registry.
      if (prop === 'then' || prop === 'toJSON' || prop === 'schema') return undefined;
      const name = stateNameFromAccessor(prop);
      return (params?: unknown) => ref(name, params);
    },
  }) as unknown as ProviderStates<StateDeclarations>;
}

/** True when `value` is a handlers object made by `states.handlers(...)` or {@link stateHandlers}. */
export function isProviderStateHandlers(value: unknown): value is ProviderStateHandlers {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === STATE_HANDLERS_KIND;
}

/**
 * Untyped handlers (for JavaScript state-handler modules or a provider without a registry):
 * state name → handler, plus message producers.
 */
export function stateHandlers(
  states: Record<string, StateHandler<JsonObject | undefined>>,
  options?: { messages?: Record<string, MessageProducer> },
): ProviderStateHandlers {
  const out: Record<string, { setup?: StateSetup<unknown>; teardown?: StateSetup<unknown> }> = {};
  for (const [name, h] of Object.entries(states)) {
    out[name] = (typeof h === 'function' ? { setup: h } : { ...h }) as { setup?: StateSetup<unknown>; teardown?: StateSetup<unknown> };
  }
  return { kind: STATE_HANDLERS_KIND, states: out, messages: { ...options?.messages } };
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/**
 * Checks a pact's parameters for one state against the schema; returns what is wrong, in words,
 * or `undefined` when they fit (or there is no schema for the state).
 */
export function checkStateParams(schema: StateSchema | undefined, state: string, params: Record<string, unknown> | undefined): string | undefined {
  const declared = schema?.[state];
  if (!declared) return undefined;
  const problems: string[] = [];
  for (const [param, kind] of Object.entries(declared)) {
    const value = params?.[param];
    if (value === undefined) {
      problems.push(`parameter '${param}' (${kind}) is missing`);
      continue;
    }
    const actual = kindOf(value);
    const fits = kind === 'any' || actual === kind || (kind === 'number' && actual === 'integer');
    if (!fits) problems.push(`parameter '${param}' should be ${kind === 'integer' ? 'an' : 'a'} ${kind}, got ${actual} ${JSON.stringify(value)}`);
  }
  for (const param of Object.keys(params ?? {})) {
    if (!(param in declared)) problems.push(`parameter '${param}' is not declared (declared: ${Object.keys(declared).join(', ') || 'none'})`);
  }
  return problems.length ? problems.join('; ') : undefined;
}
