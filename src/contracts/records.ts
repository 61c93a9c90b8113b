/**
 * Verification records: one JSON file per provider version (`<dir>/<provider>/<version>.json`)
 * holding the outcome of every pact (by content hash) verified against that version. They are what
 * the offline matrix and can-i-deploy read, in place of a Pact Broker.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AgentcheckError } from '../errors.js';
import type { ContractsVerification } from './verify.js';

/** The `kind` of a record file. */
export const RECORD_KIND = 'agentcheck.contract-verification';

/** One pact's outcome against one provider version. */
export interface RecordResult {
  consumer: string;
  consumerVersion: string;
  pactHash: string;
  pactFile?: string;
  success: boolean;
  interactions: number;
  failed: number;
  verifiedAt: string;
}

/** Everything verified against one provider version. */
export interface VerificationRecord {
  kind: typeof RECORD_KIND;
  version: 1;
  provider: string;
  providerVersion: string;
  /** The latest verification time among the results. */
  verifiedAt: string;
  results: RecordResult[];
}

function safeName(s: string): string {
  return s.replace(/[^\w.@+-]/g, '_');
}

/** The file a provider version's record lives in. */
export function recordPath(dir: string, provider: string, providerVersion: string): string {
  return path.join(dir, safeName(provider), `${safeName(providerVersion)}.json`);
}

/** Checks and returns a parsed record; throws `config` naming the file when it is not one. */
export function parseRecord(text: string, file: string): VerificationRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AgentcheckError('config', `${file}: not valid JSON (${(err as Error).message})`);
  }
  const r = json as Partial<VerificationRecord>;
  if (r?.kind !== RECORD_KIND || typeof r.provider !== 'string' || typeof r.providerVersion !== 'string' || !Array.isArray(r.results)) {
    throw new AgentcheckError('config', `${file}: not an agentcheck verification record (kind ${RECORD_KIND})`);
  }
  for (const [n, x] of r.results.entries()) {
    if (typeof x?.consumer !== 'string' || typeof x.pactHash !== 'string' || typeof x.success !== 'boolean') {
      throw new AgentcheckError('config', `${file}: results[${n}] needs consumer, pactHash and success`);
    }
    x.consumerVersion ??= x.pactHash;
    x.verifiedAt ??= r.verifiedAt ?? '';
  }
  return r as VerificationRecord;
}

/** Reads every record under `dir` (`<provider>/<version>.json`); a missing folder is no records. */
export async function readRecords(dir: string): Promise<VerificationRecord[]> {
  let providers: string[];
  try {
    providers = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AgentcheckError('config', `cannot read the records folder ${dir}: ${(err as Error).message}`);
  }
  const out: VerificationRecord[] = [];
  for (const p of providers.sort()) {
    let files: string[];
    try {
      files = await readdir(path.join(dir, p));
    } catch {
      continue;
    }
    for (const f of files.filter((n) => n.endsWith('.json')).sort()) {
      const file = path.join(dir, p, f);
      out.push(parseRecord(await readFile(file, 'utf8'), file));
    }
  }
  return out;
}

/**
 * Merges a verification into the records under `dir`: for each provider verified from local pacts,
 * its version's record gets (or replaces) one result per pact. Returns the files written.
 * Providers that could not be verified (start failure) and broker verifications write nothing.
 */
export async function writeRecords(verification: ContractsVerification, dir: string): Promise<string[]> {
  const written: string[] = [];
  for (const pv of verification.providers) {
    if (pv.status === 'error') continue;
    const fresh: RecordResult[] = pv.pacts
      .filter((p) => p.contentHash)
      .map((p) => ({
        consumer: p.consumer,
        consumerVersion: p.consumerVersion ?? p.contentHash!,
        pactHash: p.contentHash!,
        ...(p.file ? { pactFile: path.relative(process.cwd(), p.file) } : {}),
        success: p.status === 'passed',
        interactions: p.interactions.length,
        failed: p.interactions.filter((i) => i.status === 'failed').length,
        verifiedAt: pv.verifiedAt,
      }));
    if (!fresh.length) continue;
    const file = recordPath(dir, pv.provider, pv.providerVersion);
    let existing: RecordResult[] = [];
    try {
      existing = parseRecord(await readFile(file, 'utf8'), file).results;
    } catch (err) {
      if (!(err instanceof AgentcheckError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const keep = existing.filter((e) => !fresh.some((f) => f.consumer === e.consumer && f.pactHash === e.pactHash));
    const results = [...keep, ...fresh].sort((a, b) => a.consumer.localeCompare(b.consumer) || a.verifiedAt.localeCompare(b.verifiedAt));
    const record: VerificationRecord = {
      kind: RECORD_KIND,
      version: 1,
      provider: pv.provider,
      providerVersion: pv.providerVersion,
      verifiedAt: results.reduce((m, r) => (r.verifiedAt > m ? r.verifiedAt : m), ''),
      results,
    };
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`);
    await rename(tmp, file);
    written.push(file);
  }
  return written;
}
