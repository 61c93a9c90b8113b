/**
 * The Pact verifier engine. agentcheck calls `@pact-foundation/pact-core`'s `verifyPacts` (the
 * Rust verifier that pact-js's `Verifier` wraps) directly, with its own state and message endpoint,
 * instead of going through pact-js's express proxy: that proxy sits in front of every provider
 * request and crashes the whole process when a provider drops a connection (http-proxy rethrows
 * `socket hang up`), which is exactly what agents under chaos do. pact-core is resolved through
 * `@pact-foundation/pact` (whose dependency it is), so it needs no entry of its own in package.json.
 */
import { createRequire } from 'node:module';

/** A consumer version selector for a Pact Broker. */
export interface ConsumerVersionSelector {
  tag?: string;
  latest?: boolean;
  consumer?: string;
  deployedOrReleased?: boolean;
  deployed?: boolean;
  released?: boolean;
  environment?: string;
  fallbackTag?: string;
  branch?: string;
  mainBranch?: boolean;
  matchingBranch?: boolean;
}

/** The pact-core verifier options agentcheck uses. */
export interface CoreVerifierOptions {
  providerBaseUrl: string;
  provider?: string;
  pactUrls?: string[];
  pactBrokerUrl?: string;
  pactBrokerUsername?: string;
  pactBrokerPassword?: string;
  pactBrokerToken?: string;
  consumerVersionSelectors?: ConsumerVersionSelector[];
  providerVersionBranch?: string;
  providerVersionTags?: string[];
  providerStatesSetupUrl?: string;
  publishVerificationResult?: boolean;
  providerVersion?: string;
  enablePending?: boolean;
  includeWipPactsSince?: string;
  timeout?: number;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  transports?: Array<{ protocol: string; port: number; scheme?: string; path?: string }>;
  failIfNoPactsFound?: boolean;
}

interface PactCore {
  verifyPacts(options: CoreVerifierOptions): Promise<string>;
  logLevel(level?: string): unknown;
}

let core: PactCore | undefined;

/** Loads pact-core (once). */
export function pactCore(): PactCore {
  if (!core) {
    const fromHere = createRequire(import.meta.url);
    const fromPact = createRequire(fromHere.resolve('@pact-foundation/pact'));
    const mod = fromPact('@pact-foundation/pact-core') as { default?: PactCore } & PactCore;
    core = mod.default ?? mod;
    // pact-core logs "Verifying Pacts" lines at info level on stdout; keep only errors.
    core.logLevel('error');
  }
  return core;
}
