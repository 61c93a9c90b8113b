/**
 * Consumer side: a thin layer over Pact V4 (`PactV4`) that writes agent contracts with agentcheck's
 * conventions. An {@link AgentContract} is one consumer → provider pair; each `http(...)` or
 * `event(...)` call describes one interaction and `run(...)` exercises the real consumer against
 * Pact's mock server (HTTP) or hands it the example message (asynchronous events). A passing run
 * writes (merges) `<dir>/<consumer>-<provider>.json`, a Pact V4 file.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MatchersV3, PactV4 } from '@pact-foundation/pact';
import { AgentcheckError } from '../errors.js';
import { idempotencyKeyMatcher, traceparentMatcher, type IdempotencyKeySpec, type Matchable } from './conventions.js';
import type { JsonObject, ProviderStateRef } from './states.js';

/** Options of {@link AgentContract}. */
export interface AgentContractOptions {
  /** The calling agent (the one whose test this is). */
  consumer: string;
  /** The called agent. */
  provider: string;
  /** Where pact files are written; default `pacts` (relative to the current directory). */
  dir?: string;
  /** Pact core's log level; default `error`. */
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** Recorded in the pact file's `metadata.agentcheck.consumerVersion` for the offline matrix; default none (the matrix then uses the pact's content hash). */
  consumerVersion?: string;
}

/** One HTTP request an interaction expects. Values may be Pact matchers. */
export interface HttpRequestSpec {
  method: string;
  path: Matchable<string>;
  query?: Record<string, Matchable<string> | Matchable<string>[]>;
  headers?: Record<string, Matchable<string>>;
  /** A JSON body (with matchers); sets `Content-Type: application/json`. */
  body?: unknown;
  /** Require an `Idempotency-Key` header (see {@link IdempotencyKeySpec}). Default: not required. */
  idempotencyKey?: IdempotencyKeySpec;
  /** Require a W3C `traceparent` header (regex matcher); a string is the example. Default: not required. */
  traceparent?: boolean | string;
}

/** The response an interaction promises. Values may be Pact matchers. */
export interface HttpResponseSpec {
  status: number;
  headers?: Record<string, Matchable<string>>;
  /** A JSON body (with matchers). */
  body?: unknown;
}

/** A request and its response: what the A2A and MCP builders produce. */
export interface HttpExchange {
  request: HttpRequestSpec;
  response: HttpResponseSpec;
}

/** The running Pact mock server a consumer test talks to. */
export interface ContractMockServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
}

/** The example message an event interaction hands the consumer. */
export interface ContractMessage<T = unknown> {
  content: T;
  metadata: Record<string, unknown>;
}

type StateArg = ProviderStateRef | string;

// Pact's index does not export its V4 builder types; derive them from the methods that return them.
type V4UnconfiguredInteraction = ReturnType<PactV4['addInteraction']>;
type V4InteractionWithResponse = ReturnType<ReturnType<V4UnconfiguredInteraction['withRequest']>['willRespondWith']>;

function toState(state: StateArg, params?: JsonObject): ProviderStateRef {
  if (typeof state === 'string') return params === undefined ? { name: state } : { name: state, params };
  return state;
}

/** Shared parts of HTTP and event interactions: states, comments. */
abstract class InteractionDraft {
  protected readonly states: ProviderStateRef[] = [];
  protected readonly comments: string[] = [];
  constructor(
    protected readonly contract: AgentContract,
    readonly description: string,
  ) {}

  /** Adds a provider state: a registry reference (`states.orderExists({ orderId })`) or a name and parameters. */
  given(state: StateArg, params?: JsonObject): this {
    this.states.push(toState(state, params));
    return this;
  }

  /** Adds a comment stored in the pact file. */
  comment(text: string): this {
    this.comments.push(text);
    return this;
  }
}

function applyHeaders(headers: Record<string, Matchable<string>>, spec: HttpRequestSpec): Record<string, Matchable<string>> {
  const out: Record<string, Matchable<string>> = { ...headers };
  if (spec.idempotencyKey !== undefined) out['Idempotency-Key'] = idempotencyKeyMatcher(spec.idempotencyKey);
  if (spec.traceparent) out['traceparent'] = traceparentMatcher(typeof spec.traceparent === 'string' ? spec.traceparent : undefined);
  return out;
}

/** One HTTP interaction being described. Builders return `this`; `run` executes it. */
export class HttpInteraction extends InteractionDraft {
  private request?: HttpRequestSpec;
  private response?: HttpResponseSpec;

  /** The request the consumer sends. */
  withRequest(request: HttpRequestSpec): this {
    this.request = request;
    return this;
  }

  /** The response the provider gives. */
  willRespondWith(response: HttpResponseSpec): this {
    this.response = response;
    return this;
  }

  /** Request and response at once, e.g. from `a2aSendMessage(...)` or `mcpToolsCall(...)`. */
  expect(exchange: HttpExchange): this {
    this.request = exchange.request;
    this.response = exchange.response;
    return this;
  }

  /** @internal Adds this interaction to a Pact V4 handle. */
  addTo(pact: PactV4): V4InteractionWithResponse {
    const { request, response } = this;
    if (!request || !response) {
      throw new AgentcheckError('usage', `contract interaction '${this.description}' needs withRequest(...) and willRespondWith(...) (or expect(...)) before run()`);
    }
    let draft: V4UnconfiguredInteraction = pact.addInteraction();
    for (const s of this.states) draft = draft.given(s.name, s.params);
    for (const c of this.comments) draft = draft.comment(c);
    draft = draft.uponReceiving(this.description);
    const headers = applyHeaders(request.headers ?? {}, request);
    return draft
      .withRequest(request.method.toUpperCase(), request.path as string, (b) => {
        if (Object.keys(headers).length) b.headers(headers as Record<string, string>);
        if (request.query) b.query(request.query as Record<string, string>);
        if (request.body !== undefined) b.jsonBody(request.body);
      })
      .willRespondWith(response.status, (b) => {
        if (response.headers && Object.keys(response.headers).length) b.headers(response.headers as Record<string, string>);
        if (response.body !== undefined) b.jsonBody(response.body);
      });
  }

  /**
   * Starts Pact's mock server with this interaction (and any `alongside` ones: a consumer that makes
   * several calls in one flow), runs `test` against it, and writes the pact file when every expected
   * request arrived and nothing unexpected did. Rejects with Pact's mismatch report otherwise.
   */
  async run<T>(test: (mock: ContractMockServer) => Promise<T>, alongside: HttpInteraction[] = []): Promise<T> {
    return this.contract.runHttp([...alongside, this], test);
  }
}

/** One asynchronous message (an agent event) the consumer expects to receive. */
export class EventInteraction extends InteractionDraft {
  private content?: unknown;
  private metadata: Record<string, string> = { contentType: 'application/json' };

  /** The message's JSON content (with matchers). */
  withContent(content: unknown): this {
    this.content = content;
    return this;
  }

  /** Message metadata (e.g. a topic or the transport); default `{ contentType: 'application/json' }`. */
  withMetadata(metadata: Record<string, string>): this {
    this.metadata = { ...this.metadata, ...metadata };
    return this;
  }

  /**
   * Hands the reified example message to `handle` (which should deliver it to the real consumer and
   * check it was accepted); writes the pact file when `handle` resolves.
   */
  async run<T>(handle: (message: ContractMessage) => Promise<T>): Promise<T> {
    if (this.content === undefined) {
      throw new AgentcheckError('usage', `event interaction '${this.description}' needs withContent(...) before run()`);
    }
    const pact = this.contract.newPact();
    let draft = pact.addAsynchronousInteraction();
    for (const s of this.states) draft = draft.given(s.name, s.params);
    for (const c of this.comments) draft = draft.comment(c);
    const content = this.content;
    const metadata = this.metadata;
    const result = await draft
      .expectsToReceive(this.description, (b) => {
        b.withJSONContent(content).withMetadata(metadata);
      })
      .executeTest(async (m) => handle({ content: m.contents.content, metadata: m.metadata as Record<string, unknown> }));
    await this.contract.stampPactFile();
    return result as T;
  }
}

/** The path of the request that tells Pact's mock server a consumer test failed. */
const FAILED_TEST_MARKER = '/__agentcheck/consumer-test-failed';

/** A caught consumer-test failure, carried past Pact so its mismatch report is not lost. */
class ConsumerFailure {
  constructor(readonly error: unknown) {}
}

/**
 * One consumer → provider contract (one pact file). Create one per test file and describe its
 * interactions with {@link AgentContract.http} and {@link AgentContract.event}.
 */
export class AgentContract {
  readonly consumer: string;
  readonly provider: string;
  readonly dir: string;
  private readonly logLevel: NonNullable<AgentContractOptions['logLevel']>;
  private readonly consumerVersion?: string;

  constructor(options: AgentContractOptions) {
    for (const key of ['consumer', 'provider'] as const) {
      if (typeof options[key] !== 'string' || !/^[\w.-]+$/.test(options[key])) {
        throw new AgentcheckError('usage', `AgentContract: ${key} must be a name of letters, digits, '.', '_' or '-', got ${JSON.stringify(options[key])}`);
      }
    }
    this.consumer = options.consumer;
    this.provider = options.provider;
    this.dir = path.resolve(options.dir ?? 'pacts');
    this.logLevel = options.logLevel ?? 'error';
    if (options.consumerVersion !== undefined) this.consumerVersion = options.consumerVersion;
  }

  /** The pact file this contract writes. */
  get pactFile(): string {
    return path.join(this.dir, `${this.consumer}-${this.provider}.json`);
  }

  /** Describes an HTTP interaction. */
  http(description: string): HttpInteraction {
    return new HttpInteraction(this, description);
  }

  /** Describes an asynchronous message (event) the consumer receives from the provider. */
  event(description: string): EventInteraction {
    return new EventInteraction(this, description);
  }

  /** @internal A fresh Pact V4 handle for this pair. */
  newPact(): PactV4 {
    return new PactV4({ consumer: this.consumer, provider: this.provider, dir: this.dir, logLevel: this.logLevel });
  }

  /** @internal Runs HTTP interactions together on one mock server. */
  async runHttp<T>(interactions: HttpInteraction[], test: (mock: ContractMockServer) => Promise<T>): Promise<T> {
    const pact = this.newPact();
    let last: V4InteractionWithResponse | undefined;
    for (const i of interactions) last = i.addTo(pact);
    if (!last) throw new AgentcheckError('usage', 'runHttp needs at least one interaction');
    let failure: ConsumerFailure | undefined;
    let outcome: T;
    try {
      // A failing test is carried out as a value: Pact would otherwise log its mismatch report and
      // rethrow only the test's own error, which is usually a less telling "500 from mock server".
      // The marker request makes Pact see the failure, so no pact is written for a failed test.
      outcome = (await last.executeTest(async (mock) => {
        try {
          return await test({ url: mock.url, port: mock.port });
        } catch (err) {
          failure = new ConsumerFailure(err);
          await fetch(`${mock.url}${FAILED_TEST_MARKER}`, { method: 'POST' }).then((r) => r.arrayBuffer(), () => undefined);
          return undefined;
        }
      })) as T;
    } catch (err) {
      const report = err instanceof Error ? err.message : String(err);
      const [head = '', ...entries] = report.split(/(?=\n[ \t]*\d+\) )/);
      const real = entries.filter((e) => !e.includes(FAILED_TEST_MARKER));
      if (failure && real.length === 0) throw failure.error;
      const cleaned = new Error(`${head}${real.join('')}`, { cause: err });
      throw new ContractTestError(this, interactions.map((i) => i.description), cleaned, failure?.error);
    }
    if (failure) throw failure.error;
    await this.stampPactFile();
    return outcome;
  }

  /** @internal Records the consumer version in the pact file's metadata (when one was given). */
  async stampPactFile(): Promise<void> {
    if (this.consumerVersion === undefined) return;
    const text = await readFile(this.pactFile, 'utf8');
    const pact = JSON.parse(text) as { metadata?: Record<string, unknown> };
    pact.metadata = { ...pact.metadata, agentcheck: { consumerVersion: this.consumerVersion } };
    await writeFile(this.pactFile, `${JSON.stringify(pact, null, 2)}\n`);
  }
}

/** A consumer test whose requests did not match its contract; the message is Pact's mismatch report. */
export class ContractTestError extends Error {
  override readonly name = 'ContractTestError';
  constructor(
    contract: AgentContract,
    readonly interactions: string[],
    cause: unknown,
    /** The consumer test's own error, when it failed too. */
    readonly testError?: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const own = testError === undefined ? '' : `\nthe test itself failed with: ${testError instanceof Error ? testError.message : String(testError)}`;
    super(`consumer contract ${contract.consumer} → ${contract.provider} failed (${interactions.map((d) => `'${d}'`).join(', ')}):\n${detail}${own}`, { cause });
  }
}

/** Pact's V3/V4 matchers (`like`, `regex`, `eachLike`, `integer`, …), re-exported for contract tests. */
export { MatchersV3 };
