/**
 * Exact replay and shrinking on real agents: a front agent forwarding charges to the reference
 * payments agent in its no-dedup mode (one duplicated delivery double-charges an order).
 * - A journal replayed reproduces the failure 3/3; against the fixed agent it did not reproduce.
 * - A 3-decision failure shrinks to the one decision that matters, the written file (relative
 *   agent script and command-invariant paths resolved) reproduces from another folder.
 * - A failure that needs two decisions, shrunk on a budget too small to prove anything, never
 *   claims "1-minimal" (and a rerun shows the claim would have been false).
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, parseScenarioText } from '../../src/scenario/load.js';
import { runScenarioDetailed } from '../../src/scenario/runner.js';
import { JOURNAL_FILE, readJournalFile } from '../../src/scenario/journal-file.js';
import { judgeReplay, readReplayOrigin, scenarioForReplay } from '../../src/scenario/replay.js';
import { absoluteArgv, faultDecisions, scenarioToYaml, scenarioWithDecisions, shrinkRun } from '../../src/scenario/shrink.js';
import { liveProcessGroups } from '../../src/scenario/runtimes/process.js';
import type { Scenario } from '../../src/scenario/types.js';
import { forwarder, root } from './agents.js';

/** A scenario folder with a relative command invariant script, and the YAML in it. */
function scenarioDir(yaml: string, invariantScript: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-shrink-src-'));
  writeFileSync(path.join(dir, 'check.mjs'), invariantScript);
  writeFileSync(path.join(dir, 'scenario.yaml'), yaml);
  return path.join(dir, 'scenario.yaml');
}

// Exits 1 when payments double-charged at least MIN orders.
const checkScript = (min: number) =>
  `const r=await fetch(process.env.AGENTCHECK_URL_PAYMENTS+'/invariants');const j=await r.json();` +
  `const n=j.details.doubleCharged.length;if(n>=${min}){console.log('double-charged',n);process.exit(1)}`;

const yaml = (mode: string, phases: string, invariant = 'at most one double charge') => `
name: shrink-me
seed: 7
agents:
  - { name: front, command: ${forwarder('PAY_URL')}, readiness: { http: /healthz } }
  # Relative script path, resolved against cwd: the shrunk file must make it absolute.
  - { name: payments, cwd: ${root}, command: "node scenarios/team/payments.mjs --mode ${mode}", readiness: { http: /healthz } }
edges: [{ from: front, to: payments, env: PAY_URL }]
phases:
${phases}
load:
  target: front
  rate: 8
  late_tolerance: 1s
  max_late: 0.5
  requests: [{ method: POST, path: /pay, headers: { Idempotency-Key: "\${uuid}" }, body: { orderId: "\${uuid}", amount: 100, currency: EUR } }]
invariants:
  - { name: "${invariant}", command: "node ./check.mjs" }
`;

const dupPhase = `  - name: dup
    duration: 1500ms
    faults: [{ edge: front->payments, type: duplicate, attributes: { copies: 1 }, first: 3 }]`;

const threePhases = `  - name: slow-a
    duration: 1s
    faults: [{ edge: front->payments, type: http_latency, stream: upstream, attributes: { latency: 20 }, first: 1 }]
  - name: dup
    duration: 1s
    faults: [{ edge: front->payments, type: duplicate, attributes: { copies: 1 }, first: 1 }]
  - name: slow-b
    duration: 1s
    faults: [{ edge: front->payments, type: http_latency, stream: upstream, attributes: { latency: 20 }, first: 1 }]`;

const tmp = (name: string) => mkdtempSync(path.join(os.tmpdir(), `agentcheck-${name}-`));

async function run(scenario: Scenario, outDir: string) {
  return (await runScenarioDetailed(scenario, { outDir, seed: '7' })).report;
}

describe('exact replay', () => {
  it('a journal replayed reproduces the failure 3/3; against the fixed agent it did not reproduce', async () => {
    const file = scenarioDir(yaml('no-dedup', dupPhase), checkScript(1));
    const scenario = await loadScenarioFile(file);
    const out = tmp('replay');
    const original = await run(scenario, path.join(out, 'original'));
    expect(original.verdict).toBe('fail');
    const journalFile = path.join(out, 'original', JOURNAL_FILE);
    // The report next to the journal is the origin (written here as the CLI does).
    writeFileSync(path.join(out, 'original', 'report.json'), JSON.stringify(original));
    const journal = await readJournalFile(journalFile);
    const fired = journal.filter((e) => e.fired);
    expect(fired).toHaveLength(3);
    const origin = (await readReplayOrigin(journalFile))!;
    expect(origin.failed).toEqual(['invariant:at most one double charge']);

    const replay = scenarioForReplay(scenario, journal);
    for (let k = 1; k <= 3; k++) {
      const r = await run(replay, path.join(out, `replay-${k}`));
      const again = (await readJournalFile(path.join(out, `replay-${k}`, JOURNAL_FILE))).filter((e) => e.fired);
      // Exactly the journaled decisions, on the same identities and attempts, and nothing else.
      expect(again.map((e) => `${e.identity}#${e.attempt}`).sort()).toEqual(fired.map((e) => `${e.identity}#${e.attempt}`).sort());
      expect(judgeReplay(origin, r)).toMatchObject({ reproduced: true });
    }

    const fixed = scenarioForReplay(await loadScenarioFile(scenarioDir(yaml('correct', dupPhase), checkScript(1))), journal);
    const r = await run(fixed, path.join(out, 'fixed'));
    expect(r.verdict).toBe('pass');
    const judged = judgeReplay(origin, r);
    expect(judged.reproduced).toBe(false);
    expect(judged.message).toMatch(/^did not reproduce: the journaled run ended FAIL \(invariant:at most one double charge\), this replay of its fault decisions ended PASS/);
    expect(liveProcessGroups()).toEqual([]);
  }, 180_000);
});

describe('shrinking', () => {
  it('a 3-decision failure shrinks to the 1 that matters; the written file reproduces from another folder', async () => {
    const file = scenarioDir(yaml('no-dedup', threePhases), checkScript(1));
    const scenario = await loadScenarioFile(file);
    const out = tmp('shrink');
    const original = await run(scenario, path.join(out, 'original'));
    expect(original.verdict).toBe('fail');
    const journal = await readJournalFile(path.join(out, 'original', JOURNAL_FILE));
    expect(faultDecisions(scenario, journal).map((d) => d.type)).toEqual(['http_latency', 'duplicate', 'http_latency']);

    const lines: string[] = [];
    const result = await shrinkRun(scenario, original, journal, out, (s, label) => run(s, path.join(out, 'runs', label)), { log: (l) => lines.push(l) });
    expect(result.reproduced).toBe(true);
    expect(result.minimal.map((d) => d.type)).toEqual(['duplicate']);
    expect(result.oneMinimal).toBe(true);
    expect(result.verified).toEqual({ failed: 3, runs: 3 });
    expect(result.reruns).toBeLessThanOrEqual(12);

    // The written file: absolute script paths, the replay schedule inside; copied elsewhere it fails the same way.
    const text = readFileSync(result.file!, 'utf8');
    expect(text).toContain(path.join(root, 'scenarios/team/payments.mjs'));
    expect(text).toContain(path.join(path.dirname(file), 'check.mjs'));
    expect(text).toContain('replay:');
    const elsewhere = path.join(tmp('copied'), 'regression.yaml');
    copyFileSync(result.file!, elsewhere);
    const copied = await loadScenarioFile(elsewhere);
    const again = await runScenarioDetailed(copied, { outDir: path.join(out, 'copied') });
    expect(again.report.verdict).toBe('fail');
    expect(again.report.invariants.some((i) => i.status === 'fail' && i.name === 'at most one double charge')).toBe(true);
    // With no decisions at all it passes: the failure is the duplicate's.
    expect((await run(scenarioWithDecisions(copied, []), path.join(out, 'clean'))).verdict).toBe('pass');
    expect(liveProcessGroups()).toEqual([]);
  }, 240_000);

  it('does not claim 1-minimal when the budget ran out, where the claim would be false', async () => {
    // Two double charges are needed, from three duplicated deliveries.
    const file = scenarioDir(yaml('no-dedup', dupPhase, 'fewer than two double charges'), checkScript(2));
    const scenario = await loadScenarioFile(file);
    const out = tmp('shrink-budget');
    const original = await run(scenario, path.join(out, 'original'));
    expect(original.verdict).toBe('fail');
    const journal = await readJournalFile(path.join(out, 'original', JOURNAL_FILE));
    const result = await shrinkRun(scenario, original, journal, out, (s, label) => run(s, path.join(out, 'runs', label)), { maxReruns: 7 });
    expect(result.reproduced).toBe(true);
    expect(result.exhausted).toBe(true);
    expect(result.oneMinimal).toBe(false);
    expect(result.minimal.length).toBe(3);
    // Removing one of them still fails: "1-minimal" would have been a false claim.
    const fewer = await run(scenarioWithDecisions(scenario, result.minimal.slice(1)), path.join(out, 'fewer'));
    expect(fewer.verdict).toBe('fail');
  }, 240_000);
});

describe('scenario files', () => {
  it('writes a scenario that loads back to the same model, with script paths absolute', async () => {
    const original = await loadScenarioFile(path.join(root, 'scenarios/order-fulfilment.yaml'));
    const again = parseScenarioText(scenarioToYaml(original), { baseDir: original.source.baseDir });
    const absolute = { ...original, agents: original.agents.map((a) => ({ ...a, command: absoluteArgv(a.command!, a.cwd) })) };
    expect({ ...again, source: null }).toEqual({ ...absolute, source: null });
    expect(again.agents[0]!.command![1]).toBe(path.join(root, 'scenarios/team/intake.mjs'));
  });

  it('absoluteArgv resolves only arguments that name existing files', () => {
    expect(absoluteArgv(['node', 'team/intake.mjs', '--mode', 'no-dedup', './x-missing', 'http://h/x'], path.join(root, 'scenarios'))).toEqual([
      'node',
      path.join(root, 'scenarios/team/intake.mjs'),
      '--mode',
      'no-dedup',
      './x-missing',
      'http://h/x',
    ]);
  });
});
