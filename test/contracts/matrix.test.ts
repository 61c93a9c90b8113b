// The offline matrix and can-i-deploy over constructed pacts and verification records.
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMatrix, canIDeploy } from '../../src/contracts/matrix.js';
import { parsePact, type PactFile } from '../../src/contracts/pact-file.js';
import { parseRecord, readRecords, recordPath, writeRecords, RECORD_KIND, type VerificationRecord } from '../../src/contracts/records.js';
import type { ContractsVerification } from '../../src/contracts/verify.js';

function pact(consumer: string, provider: string, descriptions: string[], consumerVersion?: string): PactFile {
  const json = {
    consumer: { name: consumer },
    provider: { name: provider },
    interactions: descriptions.map((description) => ({ description, type: 'Synchronous/HTTP', request: { method: 'GET', path: `/${description}` }, response: { status: 200 } })),
    metadata: { pactSpecification: { version: '4.0' }, ...(consumerVersion ? { agentcheck: { consumerVersion } } : {}) },
  };
  return parsePact(JSON.stringify(json), `/pacts/${consumer}-${provider}.json`);
}

function record(provider: string, providerVersion: string, results: Array<{ p: PactFile; success: boolean; at: string }>): VerificationRecord {
  return {
    kind: RECORD_KIND,
    version: 1,
    provider,
    providerVersion,
    verifiedAt: results.map((r) => r.at).sort().at(-1)!,
    results: results.map(({ p, success, at }) => ({
      consumer: p.consumer,
      consumerVersion: p.consumerVersion,
      pactHash: p.contentHash,
      success,
      interactions: p.interactions.length,
      failed: success ? 0 : 1,
      verifiedAt: at,
    })),
  };
}

// planner@1 and planner@2 published pacts with payments; payments@a verified planner@1 ok and
// planner@2 failed; payments@b verified planner@2 ok. inventory's pact from planner@2 was never verified.
const plannerV1 = pact('planner', 'payments', ['charge'], '1');
const plannerV2 = pact('planner', 'payments', ['charge', 'refund'], '2');
const plannerInventoryV2 = pact('planner', 'inventory', ['reserve'], '2');
const records = [
  record('payments', 'a', [
    { p: plannerV1, success: true, at: '2026-01-01T00:00:00Z' },
    { p: plannerV2, success: false, at: '2026-01-02T00:00:00Z' },
  ]),
  record('payments', 'b', [{ p: plannerV2, success: true, at: '2026-01-03T00:00:00Z' }]),
];
const committed = [plannerV2, plannerInventoryV2];

describe('content hash and versions', () => {
  it('the same interactions in another key order hash the same; a change hashes differently', () => {
    const a = parsePact('{"provider":{"name":"p"},"consumer":{"name":"c"},"interactions":[{"description":"x","request":{"path":"/","method":"GET"}}]}', 'a.json');
    const b = parsePact('{"consumer":{"name":"c"},"interactions":[{"request":{"method":"GET","path":"/"},"description":"x"}],"provider":{"name":"p"},"metadata":{"other":1}}', 'b.json');
    const c = parsePact('{"consumer":{"name":"c"},"interactions":[{"request":{"method":"POST","path":"/"},"description":"x"}],"provider":{"name":"p"}}', 'c.json');
    expect(a.contentHash).toBe(b.contentHash);
    expect(a.contentHash).not.toBe(c.contentHash);
    expect(a.consumerVersion).toBe(a.contentHash);
    expect(plannerV1.consumerVersion).toBe('1');
  });

  it('rejects a file that is not a pact, naming it', () => {
    expect(() => parsePact('{"interactions":[]}', 'x.json')).toThrow(/x\.json: not a pact file/);
    expect(() => parsePact('nope', 'y.json')).toThrow(/y\.json: not valid JSON/);
  });
});

describe('buildMatrix', () => {
  it('lists every recorded verification and a never-verified row for a committed pact without one', () => {
    const rows = buildMatrix(committed, records);
    const brief = rows.map((r) => `${r.consumer}@${r.consumerVersion} ${r.provider}@${r.providerVersion ?? '-'} ${r.outcome}${r.current ? '' : ' old'}`);
    expect(brief).toEqual([
      'planner@2 inventory@- never-verified',
      'planner@2 payments@b verified-ok',
      'planner@2 payments@a verified-failed',
      'planner@1 payments@a verified-ok old',
    ]);
  });
});

describe('canIDeploy', () => {
  it('verified-ok: a consumer version whose pact the pinned provider version verified', () => {
    const r = canIDeploy([plannerV1], records, { pacticipant: 'planner', version: '1', to: { payments: 'a' } });
    expect(r.outcome).toBe('verified-ok');
    expect(r.checks).toEqual([expect.objectContaining({ provider: 'payments', providerVersion: 'a', outcome: 'verified-ok' })]);
  });

  it('verified-failed: the pinned provider version failed that pact', () => {
    const r = canIDeploy(committed, records, { pacticipant: 'planner', version: '2', to: { payments: 'a', inventory: 'x' } });
    expect(r.outcome).toBe('verified-failed');
    expect(r.checks.find((c) => c.provider === 'payments')).toMatchObject({ outcome: 'verified-failed', providerVersion: 'a' });
    expect(r.summary).toMatch(/^no: 1 of 2/);
  });

  it('never-verified: a pact no provider version has verified', () => {
    const r = canIDeploy(committed, records, { pacticipant: 'planner', version: '2' });
    expect(r.outcome).toBe('never-verified');
    expect(r.checks.find((c) => c.provider === 'inventory')).toMatchObject({ outcome: 'never-verified' });
    expect(r.checks.find((c) => c.provider === 'payments')).toMatchObject({ outcome: 'verified-ok', providerVersion: 'b' });
  });

  it('as a provider: the version must have verified the committed pact of each consumer', () => {
    expect(canIDeploy(committed, records, { pacticipant: 'payments', version: 'b' }).outcome).toBe('verified-ok');
    expect(canIDeploy(committed, records, { pacticipant: 'payments', version: 'a' }).outcome).toBe('verified-failed');
    expect(canIDeploy(committed, records, { pacticipant: 'payments', version: 'c' }).outcome).toBe('never-verified');
    // Pinned to the consumer that runs in production (planner@1), payments@a is fine.
    expect(canIDeploy(committed, records, { pacticipant: 'payments', version: 'a', to: { planner: '1' } }).outcome).toBe('verified-ok');
  });

  it('committed unversioned pacts count as the pacts of the version being deployed', () => {
    const unversioned = pact('planner', 'payments', ['charge']);
    const recs = [record('payments', 'a', [{ p: unversioned, success: true, at: '2026-01-01T00:00:00Z' }])];
    const r = canIDeploy([unversioned], recs, { pacticipant: 'planner', version: '7.0.0' });
    expect(r.outcome).toBe('verified-ok');
    expect(r.checks).toEqual([expect.objectContaining({ consumerVersion: '7.0.0', provider: 'payments', providerVersion: 'a' })]);
  });

  it('an unknown consumer version is never verified; an unknown name is a configuration error', () => {
    expect(canIDeploy(committed, records, { pacticipant: 'planner', version: '9' }).outcome).toBe('never-verified');
    expect(() => canIDeploy(committed, records, { pacticipant: 'ghost', version: '1' })).toThrow(/'ghost' appears in no pact file/);
  });
});

describe('verification records on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'agentcheck-records-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function verification(p: PactFile, passed: boolean, at: string): ContractsVerification {
    return {
      status: passed ? 'passed' : 'failed',
      durationMs: 1,
      providers: [{
        provider: p.provider, providerVersion: 'v1', status: passed ? 'passed' : 'failed', startMs: 0, verifyMs: 1, verifiedAt: at,
        missingStates: [], controlFailures: [], agents: {},
        pacts: [{
          consumer: p.consumer, provider: p.provider, file: p.file, contentHash: p.contentHash, consumerVersion: p.consumerVersion,
          status: passed ? 'passed' : 'failed',
          interactions: [{ description: 'charge', kind: 'http', states: [], status: passed ? 'passed' : 'failed', mismatches: [] }],
        }],
      }],
    };
  }

  it('writes one record per provider version, replacing a pact’s earlier result and keeping others', async () => {
    await writeRecords(verification(plannerV1, false, '2026-02-01T00:00:00Z'), dir);
    await writeRecords(verification(plannerV2, true, '2026-02-02T00:00:00Z'), dir);
    const [file] = await writeRecords(verification(plannerV1, true, '2026-02-03T00:00:00Z'), dir);
    expect(file).toBe(recordPath(dir, 'payments', 'v1'));
    const rec = parseRecord(await readFile(file!, 'utf8'), file!);
    expect(rec.results.map((r) => `${r.consumerVersion}:${r.success}`).sort()).toEqual(['1:true', '2:true']);
    expect(rec.verifiedAt).toBe('2026-02-03T00:00:00Z');
    expect(await readRecords(dir)).toHaveLength(1);
    expect(await readRecords(path.join(dir, 'missing'))).toEqual([]);
  });

  it('rejects a file that is not a record', async () => {
    await mkdir(path.join(dir, 'x'), { recursive: true });
    await writeFile(path.join(dir, 'x', 'bad.json'), '{"kind":"other"}');
    await expect(readRecords(dir)).rejects.toThrow(/bad\.json: not an agentcheck verification record/);
  });
});
