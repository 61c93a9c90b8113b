/**
 * The offline compatibility matrix and can-i-deploy: from committed pact files and the verification
 * records `contracts verify` writes, which consumer and provider versions are known to work together.
 * A pact is identified by its content hash, so an unchanged contract keeps its verifications across
 * consumer versions (as a Pact Broker does).
 */
import { AgentcheckError } from '../errors.js';
import type { PactFile } from './pact-file.js';
import type { VerificationRecord } from './records.js';

/** Whether a consumer/provider pair is known to be compatible. */
export type MatrixOutcome = 'verified-ok' | 'verified-failed' | 'never-verified';

/** One cell of the matrix: a pact version against a provider version (none when never verified). */
export interface MatrixRow {
  consumer: string;
  consumerVersion: string;
  pactHash: string;
  provider: string;
  providerVersion?: string;
  outcome: MatrixOutcome;
  verifiedAt?: string;
  /** True when this pact is the one committed now (the consumer's latest). */
  current: boolean;
}

/** Builds the matrix: every recorded verification, plus a never-verified row for each current pact without one. */
export function buildMatrix(pacts: readonly PactFile[], records: readonly VerificationRecord[]): MatrixRow[] {
  const currentHashes = new Set(pacts.map((p) => p.contentHash));
  const rows: MatrixRow[] = [];
  for (const r of records) {
    for (const x of r.results) {
      rows.push({
        consumer: x.consumer,
        consumerVersion: x.consumerVersion,
        pactHash: x.pactHash,
        provider: r.provider,
        providerVersion: r.providerVersion,
        outcome: x.success ? 'verified-ok' : 'verified-failed',
        verifiedAt: x.verifiedAt,
        current: currentHashes.has(x.pactHash),
      });
    }
  }
  for (const p of pacts) {
    if (rows.some((r) => r.pactHash === p.contentHash && r.provider === p.provider)) continue;
    rows.push({ consumer: p.consumer, consumerVersion: p.consumerVersion, pactHash: p.contentHash, provider: p.provider, outcome: 'never-verified', current: true });
  }
  return rows.sort(
    (a, b) =>
      a.consumer.localeCompare(b.consumer) ||
      a.provider.localeCompare(b.provider) ||
      (b.verifiedAt ?? '').localeCompare(a.verifiedAt ?? ''),
  );
}

/** One integration can-i-deploy looked at. */
export interface DeployCheck {
  consumer: string;
  consumerVersion: string;
  provider: string;
  /** The provider version it was judged against (none: never verified). */
  providerVersion?: string;
  outcome: MatrixOutcome;
  reason: string;
}

/** The answer of {@link canIDeploy}. */
export interface CanIDeployResult {
  pacticipant: string;
  version: string;
  outcome: MatrixOutcome;
  checks: DeployCheck[];
  /** One line: why. */
  summary: string;
}

/** Options of {@link canIDeploy}. */
export interface CanIDeployOptions {
  pacticipant: string;
  version: string;
  /** Versions of the other side to check against (e.g. what runs in production), by name. Default: the latest. */
  to?: Record<string, string>;
}

function latestRecord(records: readonly VerificationRecord[], provider: string): VerificationRecord | undefined {
  return records.filter((r) => r.provider === provider).sort((a, b) => b.verifiedAt.localeCompare(a.verifiedAt))[0];
}

function judge(record: VerificationRecord | undefined, pactHash: string): { outcome: MatrixOutcome; verifiedAt?: string } {
  const hits = (record?.results ?? []).filter((x) => x.pactHash === pactHash).sort((a, b) => b.verifiedAt.localeCompare(a.verifiedAt));
  const hit = hits[0];
  if (!hit) return { outcome: 'never-verified' };
  return { outcome: hit.success ? 'verified-ok' : 'verified-failed', verifiedAt: hit.verifiedAt };
}

/**
 * Can `pacticipant` at `version` be deployed? As a consumer: each of its pacts at that version (its
 * committed unversioned pacts when none is stamped with that version) must be verified ok by the
 * provider version it will meet (`to[provider]`, else the provider's latest verified version). As a provider: the pact of each consumer (`to[consumer]`'s version, else the committed one)
 * must be verified ok by this version. Any failure → `verified-failed`; else any gap → `never-verified`.
 * Throws `config` when the name appears in no pact and no record.
 */
export function canIDeploy(pacts: readonly PactFile[], records: readonly VerificationRecord[], options: CanIDeployOptions): CanIDeployResult {
  const { pacticipant, version } = options;
  const to = options.to ?? {};
  const known =
    pacts.some((p) => p.consumer === pacticipant || p.provider === pacticipant) ||
    records.some((r) => r.provider === pacticipant || r.results.some((x) => x.consumer === pacticipant));
  if (!known) {
    const names = [...new Set([...pacts.flatMap((p) => [p.consumer, p.provider]), ...records.map((r) => r.provider)])].sort();
    throw new AgentcheckError('config', `'${pacticipant}' appears in no pact file and no verification record`, names.length ? `known pacticipants: ${names.join(', ')}` : undefined);
  }
  const checks: DeployCheck[] = [];

  // As a consumer: its pacts at `version` (committed now, or known from records).
  const mine = new Map<string, { provider: string; pactHash: string; consumerVersion: string }>();
  for (const p of pacts) {
    if (p.consumer === pacticipant && (p.consumerVersion === version || p.contentHash === version)) {
      mine.set(`${p.provider}|${p.contentHash}`, { provider: p.provider, pactHash: p.contentHash, consumerVersion: p.consumerVersion });
    }
  }
  for (const r of records) {
    for (const x of r.results) {
      if (x.consumer === pacticipant && (x.consumerVersion === version || x.pactHash === version)) {
        mine.set(`${r.provider}|${x.pactHash}`, { provider: r.provider, pactHash: x.pactHash, consumerVersion: x.consumerVersion });
      }
    }
  }
  if (mine.size === 0) {
    // Unversioned committed pacts (identified by their content hash only) are the pacts of the
    // version being deployed: in a monorepo, what is committed is what ships.
    for (const p of pacts) {
      if (p.consumer === pacticipant && p.consumerVersion === p.contentHash) {
        mine.set(`${p.provider}|${p.contentHash}`, { provider: p.provider, pactHash: p.contentHash, consumerVersion: version });
      }
    }
  }
  const isConsumer = pacts.some((p) => p.consumer === pacticipant) || records.some((r) => r.results.some((x) => x.consumer === pacticipant));
  if (isConsumer && mine.size === 0) {
    checks.push({ consumer: pacticipant, consumerVersion: version, provider: '*', outcome: 'never-verified', reason: `no pact of ${pacticipant} at version ${version} is committed or recorded` });
  }
  for (const { provider, pactHash, consumerVersion } of mine.values()) {
    const pinned = to[provider];
    const record = pinned !== undefined ? records.find((r) => r.provider === provider && r.providerVersion === pinned) : latestRecord(records, provider);
    const providerVersion = pinned ?? record?.providerVersion;
    const { outcome } = judge(record, pactHash);
    const against = providerVersion ? `${provider}@${providerVersion}` : provider;
    checks.push({
      consumer: pacticipant,
      consumerVersion,
      provider,
      ...(providerVersion ? { providerVersion } : {}),
      outcome,
      reason:
        outcome === 'verified-ok' ? `pact ${pactHash} verified ok by ${against}` :
        outcome === 'verified-failed' ? `pact ${pactHash} failed verification by ${against}` :
        `pact ${pactHash} was never verified by ${against}`,
    });
  }

  // As a provider: the pact each consumer will send it.
  const consumers = [...new Set([...pacts.filter((p) => p.provider === pacticipant).map((p) => p.consumer), ...Object.keys(to).filter((c) => c !== pacticipant)])];
  const ownRecord = records.find((r) => r.provider === pacticipant && r.providerVersion === version);
  for (const consumer of consumers.sort()) {
    const pinned = to[consumer];
    let targets: Array<{ pactHash: string; consumerVersion: string }>;
    if (pinned !== undefined) {
      const fromPacts = pacts.filter((p) => p.provider === pacticipant && p.consumer === consumer && (p.consumerVersion === pinned || p.contentHash === pinned));
      const fromRecords = records
        .filter((r) => r.provider === pacticipant)
        .flatMap((r) => r.results)
        .filter((x) => x.consumer === consumer && (x.consumerVersion === pinned || x.pactHash === pinned));
      targets = [...fromPacts.map((p) => ({ pactHash: p.contentHash, consumerVersion: p.consumerVersion })), ...fromRecords.map((x) => ({ pactHash: x.pactHash, consumerVersion: x.consumerVersion }))];
      targets = targets.filter((t, n) => targets.findIndex((u) => u.pactHash === t.pactHash) === n);
      if (!targets.length) {
        if (!pacts.some((p) => p.provider === pacticipant && p.consumer === consumer) && !records.some((r) => r.provider === pacticipant && r.results.some((x) => x.consumer === consumer))) continue;
        checks.push({ consumer, consumerVersion: pinned, provider: pacticipant, providerVersion: version, outcome: 'never-verified', reason: `no pact of ${consumer}@${pinned} with ${pacticipant} is committed or recorded` });
        continue;
      }
    } else {
      targets = pacts.filter((p) => p.provider === pacticipant && p.consumer === consumer).map((p) => ({ pactHash: p.contentHash, consumerVersion: p.consumerVersion }));
    }
    for (const t of targets) {
      const { outcome } = judge(ownRecord, t.pactHash);
      checks.push({
        consumer,
        consumerVersion: t.consumerVersion,
        provider: pacticipant,
        providerVersion: version,
        outcome,
        reason:
          outcome === 'verified-ok' ? `${pacticipant}@${version} verified ok the pact of ${consumer}@${t.consumerVersion}` :
          outcome === 'verified-failed' ? `${pacticipant}@${version} failed the pact of ${consumer}@${t.consumerVersion}` :
          `${pacticipant}@${version} never verified the pact of ${consumer}@${t.consumerVersion}`,
      });
    }
  }

  const outcome: MatrixOutcome = checks.some((c) => c.outcome === 'verified-failed')
    ? 'verified-failed'
    : checks.some((c) => c.outcome === 'never-verified')
      ? 'never-verified'
      : 'verified-ok';
  const counts = (o: MatrixOutcome) => checks.filter((c) => c.outcome === o).length;
  const summary =
    checks.length === 0
      ? `${pacticipant}@${version} has no integrations to check: yes, it can be deployed`
      : outcome === 'verified-ok'
        ? `yes: all ${checks.length} integration(s) of ${pacticipant}@${version} are verified ok`
        : outcome === 'verified-failed'
          ? `no: ${counts('verified-failed')} of ${checks.length} integration(s) of ${pacticipant}@${version} failed verification`
          : `unknown: ${counts('never-verified')} of ${checks.length} integration(s) of ${pacticipant}@${version} were never verified`;
  return { pacticipant, version, outcome, checks, summary };
}
