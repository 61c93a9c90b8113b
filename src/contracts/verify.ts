/**
 * Provider verification: runs the real Pact verifier (pact-core) against each provider, started
 * from a scenario or reached at a base URL, with provider states set up by typed handlers (or the
 * agent's own state-change endpoint) and messages taken from producers or recorded off the wire.
 * The result names every mismatch readably; see {@link verifyContracts}.
 */
import { execFileSync } from 'node:child_process';
import { AgentcheckError } from '../errors.js';
import { startControlServer, type ControlFailure } from './control-server.js';
import { locateInteraction, readableMismatches, type ContractMismatch, type VerifierError, type VerifierJson } from './mismatch.js';
import { pactCore, type ConsumerVersionSelector, type CoreVerifierOptions } from './pact-core.js';
import { interactionKind, interactionStates, readPactDir, type PactFile, type PactProviderState } from './pact-file.js';
import { startProviderFromScenario, type ContractScenario, type StartedProvider } from './providers.js';
import { isProviderStateHandlers, type ProviderStateHandlers } from './states.js';
import { probeTcp } from '../scenario/runtimes/wait.js';

/**
 * A provider given by URL must accept connections before the Pact verifier runs: otherwise every
 * interaction would fail with a connection error and read as a mismatch (exit 1) instead of the
 * environment problem it is (exit 3).
 */
async function checkProviderReachable(provider: string, url: string): Promise<void> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (await probeTcp(host, port)) return;
  throw new AgentcheckError(
    'environment',
    `provider '${provider}' is unreachable at ${u.origin} (nothing accepted a TCP connection within 1 s: not running, or connection refused); hint: start it first, or give --scenario to let agentcheck start it`,
  );
}

/** Handlers for one provider, or handlers by provider name (`'*'` for every provider). */
export type StateHandlerSet = ProviderStateHandlers | Record<string, ProviderStateHandlers>;

/** Pact Broker options for {@link verifyContracts}; pacts then come from the broker, not a folder. */
export interface BrokerOptions {
  url: string;
  token?: string;
  username?: string;
  password?: string;
  consumerVersionSelectors?: ConsumerVersionSelector[];
  enablePending?: boolean;
  /** ISO date: include work-in-progress pacts since then. */
  includeWipPactsSince?: string;
  /** Publish the results to the broker (needs a provider version). Default false. */
  publish?: boolean;
  providerVersionBranch?: string;
  providerVersionTags?: string[];
}

/** Options of {@link verifyContracts}. */
export interface VerifyContractsOptions {
  /** Folder of pact files; default `pacts`. Ignored with `broker`. */
  pactsDir?: string;
  /** Already-read pact files (instead of `pactsDir`). */
  pacts?: PactFile[];
  /** Verify only this provider; default every provider in the pacts. */
  provider?: string;
  /** Verify against a running provider at this URL (needs one provider) instead of starting it. */
  providerBaseUrl?: string;
  /** Start providers (and what they call) from this scenario's agents. */
  scenario?: ContractScenario;
  /** Provider-state handlers and message producers. */
  stateHandlers?: StateHandlerSet;
  /** Where the handlers came from (named in error messages). */
  handlersSource?: string;
  /** The provider's own state-change endpoint: an absolute URL, or a path on the provider (e.g. `/_pact/state`). */
  stateChangeUrl?: string;
  /** The provider version recorded (and published); default `$AGENTCHECK_PROVIDER_VERSION`, else the git commit, else `unversioned`. */
  providerVersion?: string;
  broker?: BrokerOptions;
  /** How long to wait for a recorded message; default 5000 ms. */
  messageTimeoutMs?: number;
  /** The verifier's per-request timeout; default 10000 ms. */
  requestTimeoutMs?: number;
  /** Folder for the agents' logs. */
  logDir?: string;
}

/** One interaction's outcome. */
export interface InteractionVerification {
  description: string;
  kind: 'http' | 'message';
  states: PactProviderState[];
  /** `pending-failed`: failed, but the pact is pending (does not fail the build). */
  status: 'passed' | 'failed' | 'pending-failed';
  mismatches: ContractMismatch[];
}

/** One pact (consumer → provider) verified. */
export interface PactVerification {
  consumer: string;
  provider: string;
  /** Pact file path, for local pacts. */
  file?: string;
  contentHash?: string;
  consumerVersion?: string;
  status: 'passed' | 'failed';
  interactions: InteractionVerification[];
}

/** A provider state the pacts need and the handlers lack. */
export interface MissingState {
  state: string;
  /** `consumer: description` of each interaction that needs it. */
  neededBy: string[];
}

/** One provider's verification. */
export interface ProviderVerification {
  provider: string;
  providerVersion: string;
  providerUrl?: string;
  /** `error`: the provider could not be started or the verifier could not run. */
  status: 'passed' | 'failed' | 'error';
  error?: string;
  /** Provider start-up time (0 with a base URL). */
  startMs: number;
  /** Time spent in the Pact verifier. */
  verifyMs: number;
  verifiedAt: string;
  pacts: PactVerification[];
  missingStates: MissingState[];
  /** State and message failures with their names, as the control endpoint saw them. */
  controlFailures: ControlFailure[];
  /** Agents started for this provider, with URLs. */
  agents: Record<string, string>;
  /**
   * The last lines each started agent printed, kept only when the verification failed: a mismatch
   * such as `got "failed"` says what the provider answered, its log says why.
   */
  agentLogs?: Record<string, string>;
}

/** Every provider's verification. */
export interface ContractsVerification {
  status: 'passed' | 'failed' | 'error';
  providers: ProviderVerification[];
  durationMs: number;
}

/** The handlers for `provider` in a {@link StateHandlerSet}. */
export function handlersFor(set: StateHandlerSet | undefined, provider: string): ProviderStateHandlers | undefined {
  if (!set) return undefined;
  if (isProviderStateHandlers(set)) return set;
  const own = set[provider];
  const all = set['*'];
  if (own && all) return { ...own, states: { ...all.states, ...own.states }, messages: { ...all.messages, ...own.messages } };
  return own ?? all;
}

/** The default provider version: `$AGENTCHECK_PROVIDER_VERSION`, else `git rev-parse --short HEAD`, else `unversioned`. */
export function defaultProviderVersion(cwd = process.cwd()): string {
  const fromEnv = process.env['AGENTCHECK_PROVIDER_VERSION'];
  if (fromEnv) return fromEnv;
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim() || 'unversioned';
  } catch {
    return 'unversioned';
  }
}

/** States the pacts need that `handlers` lacks (empty when states go to the agent's own endpoint). */
export function missingStates(pacts: readonly PactFile[], handlers: ProviderStateHandlers | undefined): MissingState[] {
  const out = new Map<string, string[]>();
  for (const pact of pacts) {
    for (const i of pact.interactions) {
      for (const s of interactionStates(i)) {
        if (handlers?.states[s.name]) continue;
        const list = out.get(s.name) ?? [];
        list.push(`${pact.consumer}: ${i.description}`);
        out.set(s.name, list);
      }
    }
  }
  return [...out].map(([state, neededBy]) => ({ state, neededBy }));
}

function parseVerifierOutput(raw: unknown): VerifierJson | undefined {
  const text = raw instanceof Error ? raw.message : typeof raw === 'string' ? raw : undefined;
  if (!text) return undefined;
  try {
    const json = JSON.parse(text) as unknown;
    return json && typeof json === 'object' ? (json as VerifierJson) : undefined;
  } catch {
    return undefined;
  }
}

function dedupe(failures: ControlFailure[]): ControlFailure[] {
  const seen = new Set<string>();
  return failures.filter((f) => {
    const key = `${f.kind}|${f.name}|${f.error}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Replaces the verifier's anonymous "a state change handler failed" with what actually failed. */
function explain(mismatches: ContractMismatch[], states: PactProviderState[], description: string, failures: ControlFailure[]): ContractMismatch[] {
  const out: ContractMismatch[] = [];
  for (const m of mismatches) {
    if (m.kind === 'state' || m.kind === 'error') {
      const related = failures.filter(
        (f) => (f.kind === 'state' && states.some((s) => s.name === f.name)) || (f.kind === 'message' && f.name === description),
      );
      if (related.length) {
        for (const f of related) out.push({ kind: f.kind === 'state' ? 'state' : 'message', path: f.name, message: f.error });
        continue;
      }
    }
    out.push(m);
  }
  return out;
}

function labelParts(label: string): { consumer: string; description: string } {
  const m = /^Verifying a pact between (.+?) and .+? - (.*)$/.exec(label);
  return { consumer: m?.[1] ?? 'unknown', description: m?.[2] ?? label };
}

/** Builds per-pact results from the verifier's JSON for local pacts. */
function resultsForPacts(
  pacts: readonly PactFile[],
  json: VerifierJson,
  failures: ControlFailure[],
): PactVerification[] {
  const byInteraction = new Map<object, { errors: VerifierError[]; pending: boolean }>();
  const unplaced: VerifierError[] = [];
  const place = (list: VerifierError[] | undefined, pending: boolean) => {
    for (const e of list ?? []) {
      const hit = locateInteraction(e.interaction, pacts);
      if (!hit) {
        unplaced.push(e);
        continue;
      }
      const entry = byInteraction.get(hit.interaction) ?? { errors: [], pending };
      entry.errors.push(e);
      byInteraction.set(hit.interaction, entry);
    }
  };
  place(json.errors, false);
  place(json.pendingErrors, true);
  const out = pacts.map((pact): PactVerification => {
    const interactions = pact.interactions.map((i): InteractionVerification => {
      const states = interactionStates(i);
      const entry = byInteraction.get(i);
      if (!entry) return { description: i.description, kind: interactionKind(i), states, status: 'passed', mismatches: [] };
      const raw = entry.errors.flatMap((e) => readableMismatches(e, i));
      return {
        description: i.description,
        kind: interactionKind(i),
        states,
        status: entry.pending ? 'pending-failed' : 'failed',
        mismatches: explain(raw, states, i.description, failures),
      };
    });
    const pv: PactVerification = {
      consumer: pact.consumer,
      provider: pact.provider,
      file: pact.file,
      contentHash: pact.contentHash,
      consumerVersion: pact.consumerVersion,
      status: interactions.some((i) => i.status === 'failed') ? 'failed' : 'passed',
      interactions,
    };
    return pv;
  });
  if (unplaced.length) {
    // Should not happen with local pacts; keep the failures visible rather than drop them.
    out.push(...resultsFromLabels(json, failures, unplaced));
  }
  return out;
}

/** Builds per-pact results from the verifier's labels alone (broker pacts are not read locally). */
function resultsFromLabels(json: VerifierJson, failures: ControlFailure[], only?: VerifierError[]): PactVerification[] {
  const pacts = new Map<string, PactVerification>();
  const get = (consumer: string) => {
    let p = pacts.get(consumer);
    if (!p) {
      p = { consumer, provider: '', status: 'passed', interactions: [] };
      pacts.set(consumer, p);
    }
    return p;
  };
  const add = (list: VerifierError[] | undefined, pending: boolean) => {
    for (const e of list ?? []) {
      const { consumer, description } = labelParts(e.interaction);
      const p = get(consumer);
      p.interactions.push({
        description,
        kind: 'http',
        states: [],
        status: pending ? 'pending-failed' : 'failed',
        mismatches: explain(readableMismatches(e), [], description, failures),
      });
      if (!pending) p.status = 'failed';
    }
  };
  if (only) add(only, false);
  else {
    add(json.errors, false);
    add(json.pendingErrors, true);
    const failed = new Set([...(json.errors ?? []), ...(json.pendingErrors ?? [])].map((e) => labelParts(e.interaction).description));
    for (const r of json.interactionResults ?? []) {
      if (r.description && !failed.has(r.description)) {
        get('(broker)').interactions.push({ description: r.description, kind: 'http', states: [], status: 'passed', mismatches: [] });
      }
    }
  }
  return [...pacts.values()];
}

function resolveStateUrl(stateChangeUrl: string, providerUrl: string): string {
  return /^https?:\/\//.test(stateChangeUrl) ? stateChangeUrl : new URL(stateChangeUrl, providerUrl).toString();
}

/** Verifies one provider against its pacts. Never throws for provider failures: they are in the result. */
async function verifyProvider(provider: string, pacts: PactFile[], options: VerifyContractsOptions, providerVersion: string): Promise<ProviderVerification> {
  const handlers = handlersFor(options.stateHandlers, provider);
  const missing = options.stateChangeUrl ? [] : missingStates(pacts, handlers);
  const messageConsumers = new Map<string, string[]>();
  for (const pact of pacts) {
    for (const i of pact.interactions) {
      if (interactionKind(i) !== 'message') continue;
      const list = messageConsumers.get(i.description) ?? [];
      if (!list.includes(pact.consumer)) list.push(pact.consumer);
      messageConsumers.set(i.description, list);
    }
  }
  const result: ProviderVerification = {
    provider,
    providerVersion,
    status: 'error',
    startMs: 0,
    verifyMs: 0,
    verifiedAt: new Date().toISOString(),
    pacts: [],
    missingStates: missing,
    controlFailures: [],
    agents: {},
  };

  let started: StartedProvider | undefined;
  let providerUrl = options.providerBaseUrl;
  try {
    if (!providerUrl) {
      if (!options.scenario) {
        throw new AgentcheckError('usage', `no way to reach provider '${provider}': give --scenario (to start it) or --provider-base-url`);
      }
      const consumers = options.broker
        ? options.scenario.edges.filter((e) => e.from === provider).map((e) => e.to)
        : [...new Set([...messageConsumers.values()].flat())];
      started = await startProviderFromScenario(options.scenario, provider, {
        messageConsumers: consumers,
        ...(options.logDir ? { logDir: options.logDir } : {}),
      });
      providerUrl = started.url;
      result.startMs = started.startMs;
      result.agents = started.agents;
    } else {
      result.agents = { [provider]: providerUrl };
      await checkProviderReachable(provider, providerUrl);
    }
  } catch (err) {
    if (err instanceof AgentcheckError && err.code === 'environment') {
      result.error = err.message;
      return result;
    }
    throw err;
  }
  result.providerUrl = providerUrl;

  const control = await startControlServer({
    provider,
    providerUrl,
    agents: result.agents,
    ...(handlers ? { handlers } : {}),
    taps: started?.taps ?? new Map(),
    messageConsumers,
    ...(options.messageTimeoutMs !== undefined ? { messageTimeoutMs: options.messageTimeoutMs } : {}),
    ...(options.handlersSource ? { handlersSource: options.handlersSource } : {}),
  });
  try {
    const core: CoreVerifierOptions = {
      provider,
      providerBaseUrl: providerUrl,
      providerStatesSetupUrl: options.stateChangeUrl ? resolveStateUrl(options.stateChangeUrl, providerUrl) : control.stateUrl,
      transports: [{ protocol: 'message', port: control.port, path: control.messagePath, scheme: 'http' }],
      // The verifier must outwait a message recorded off the wire.
      timeout: Math.max(options.requestTimeoutMs ?? 10_000, (options.messageTimeoutMs ?? 5000) + 5000),
      logLevel: 'error',
      providerVersion,
    };
    if (options.broker) {
      const b = options.broker;
      core.pactBrokerUrl = b.url;
      if (b.token) core.pactBrokerToken = b.token;
      if (b.username) core.pactBrokerUsername = b.username;
      if (b.password) core.pactBrokerPassword = b.password;
      if (b.consumerVersionSelectors) core.consumerVersionSelectors = b.consumerVersionSelectors;
      if (b.enablePending) core.enablePending = true;
      if (b.includeWipPactsSince) core.includeWipPactsSince = b.includeWipPactsSince;
      if (b.providerVersionBranch) core.providerVersionBranch = b.providerVersionBranch;
      if (b.providerVersionTags) core.providerVersionTags = b.providerVersionTags;
      core.publishVerificationResult = b.publish === true;
    } else {
      core.pactUrls = pacts.map((p) => p.file);
    }
    const t0 = performance.now();
    let raw: unknown;
    try {
      raw = await pactCore().verifyPacts(core);
    } catch (err) {
      raw = err;
    }
    result.verifyMs = performance.now() - t0;
    result.verifiedAt = new Date().toISOString();
    result.controlFailures = dedupe([...control.failures]);
    const json = parseVerifierOutput(raw);
    if (!json) {
      result.error = `the Pact verifier could not run: ${raw instanceof Error ? raw.message : String(raw)}`;
      return result;
    }
    // Errors not about an interaction ("Failed to load pact": broker unreachable, unreadable source)
    // mean the pacts were never verified: an environment problem, not a mismatch.
    const loading = (json.errors ?? []).filter((e) => !e.interaction.startsWith('Verifying a pact between'));
    if (loading.length) {
      result.error = `the pacts could not be loaded: ${loading.map((e) => e.mismatch.message ?? e.interaction).join('; ')}`;
      json.errors = (json.errors ?? []).filter((e) => !loading.includes(e));
    }
    result.pacts = options.broker ? resultsFromLabels(json, result.controlFailures) : resultsForPacts(pacts, json, result.controlFailures);
    if (result.error) return result;
    const failed = result.pacts.some((p) => p.status === 'failed') || missing.length > 0 || json.result === false;
    result.status = failed ? 'failed' : 'passed';
    if (failed && started) {
      const logs = Object.fromEntries(Object.keys(started.agents).map((name) => [name, started!.logTail(name)]).filter(([, tail]) => tail));
      if (Object.keys(logs).length) result.agentLogs = logs;
    }
    return result;
  } finally {
    await control.close();
    await started?.stop();
  }
}

/**
 * Verifies providers against their pacts with the real Pact verifier. Providers come from
 * `providerBaseUrl` (one provider) or are started from `scenario`; each is verified in turn and
 * stopped. Throws `usage`/`config` (exit 2) for bad options or pact files; a provider that fails
 * to start is reported in the result (`status: 'error'`), not thrown.
 */
export async function verifyContracts(options: VerifyContractsOptions): Promise<ContractsVerification> {
  const t0 = performance.now();
  const providerVersion = options.providerVersion ?? defaultProviderVersion();
  if (options.broker) {
    if (!options.provider) throw new AgentcheckError('usage', 'verifying pacts from a broker needs --provider NAME');
    if (options.broker.publish && !options.providerVersion) {
      throw new AgentcheckError('usage', 'publishing verification results needs --provider-version');
    }
    const pv = await verifyProvider(options.provider, [], options, providerVersion);
    return { status: pv.status, providers: [pv], durationMs: performance.now() - t0 };
  }
  const all = options.pacts ?? (await readPactDir(options.pactsDir ?? 'pacts'));
  const providers = [...new Set(all.map((p) => p.provider))].sort();
  if (options.provider && !providers.includes(options.provider)) {
    throw new AgentcheckError('config', `no pact in ${options.pactsDir ?? 'pacts'} names provider '${options.provider}'`,
      providers.length ? `providers with pacts: ${providers.join(', ')}` : 'the folder holds no pact files; run the consumer tests first');
  }
  const selected = options.provider ? [options.provider] : providers;
  if (selected.length === 0) {
    throw new AgentcheckError('config', `no pact files in ${options.pactsDir ?? 'pacts'}`, 'run the consumer tests first, or pass --pacts DIR');
  }
  if (options.providerBaseUrl && selected.length > 1) {
    throw new AgentcheckError('usage', `--provider-base-url needs --provider: the pacts name ${selected.length} providers (${selected.join(', ')})`);
  }
  const results: ProviderVerification[] = [];
  for (const provider of selected) {
    results.push(await verifyProvider(provider, all.filter((p) => p.provider === provider), options, providerVersion));
  }
  const status = results.some((r) => r.status === 'error') ? 'error' : results.some((r) => r.status === 'failed') ? 'failed' : 'passed';
  return { status, providers: results, durationMs: performance.now() - t0 };
}
