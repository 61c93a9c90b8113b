/**
 * Fault-schedule shrinking of a failed scenario, on real agents: a payments agent that does not
 * de-duplicate fails when any one of three duplicated deliveries reaches it, so the smallest
 * failing schedule is a single decision, and the written scenario replays the failure.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, parseScenarioText } from '../../src/scenario/load.js';
import { runScenarioDetailed } from '../../src/scenario/runner.js';
import { faultDecisions, scenarioToYaml, scenarioWithDecisions, shrinkScenario, writeScenarioFile } from '../../src/scenario/shrink.js';
import { liveProcessGroups } from '../../src/scenario/runtimes/process.js';

const root = path.resolve(__dirname, '../..');
const team = path.join(root, 'scenarios/team');

// A front agent that forwards POST /pay to payments' /charges with the caller's key and body.
const front = JSON.stringify([
  'node',
  '-e',
  `const http=require('http');http.createServer((q,s)=>{if(q.url==='/healthz'){s.end('ok');return}let b='';q.on('data',c=>b+=c);q.on('end',async()=>{` +
    `try{const r=await fetch(process.env.PAY_URL+'/charges',{method:'POST',headers:{'content-type':'application/json','idempotency-key':q.headers['idempotency-key']},body:b});s.statusCode=r.status;s.end(await r.text())}catch(e){s.statusCode=502;s.end(String(e))}})})` +
    `.listen(+process.env.PORT,process.env.HOST)`,
]);

const yaml = `
name: shrink-me
seed: 7
agents:
  - { name: front, command: ${front}, readiness: { http: /healthz } }
  - { name: payments, command: "node ${team}/payments.mjs --mode no-dedup", readiness: { http: /healthz } }
edges: [{ from: front, to: payments, env: PAY_URL }]
phases:
  - name: dup
    duration: 1500ms
    faults: [{ edge: front->payments, type: duplicate, attributes: { copies: 1 }, first: 3 }]
load:
  target: front
  rate: 6
  requests: [{ method: POST, path: /pay, body: { orderId: "\${uuid}", amount: 100, currency: EUR } }]
invariants:
  - { name: no order charged twice, http: { agent: payments, path: /invariants } }
`;

describe('scenario fault-schedule shrinking', () => {
  it('writes a scenario that loads back to the same model', async () => {
    const original = await loadScenarioFile(path.join(root, 'scenarios/order-fulfilment.yaml'));
    const again = parseScenarioText(scenarioToYaml(original), { baseDir: original.source.baseDir });
    expect({ ...again, source: null }).toEqual({ ...original, source: null });
  });

  it('finds a single-fault schedule when one fault suffices, and the written file replays the failure', async () => {
    const scenario = parseScenarioText(yaml, { baseDir: root });
    const out = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-shrink-'));
    const first = await runScenarioDetailed(scenario, { outDir: path.join(out, 'original') });
    expect(first.report.verdict).toBe('fail');
    const decisions = faultDecisions(scenario, first.journal);
    expect(decisions.map((d) => d.ordinal)).toEqual([1, 2, 3]);

    let reruns = 0;
    const result = await shrinkScenario(scenario, first.report, first.journal, async (s, attempt) => {
      reruns++;
      return (await runScenarioDetailed(s, { outDir: path.join(out, `attempt-${attempt}`), seed: '7' })).report;
    }, { maxAttempts: 12, seed: 1 });
    expect(result.reproduced).toBe(true);
    expect(result.minimal).toHaveLength(1);
    expect(result.oneMinimal).toBe(true);
    expect(result.target).toEqual(['invariant:no order charged twice']);
    expect(reruns).toBe(result.attempts);

    // The minimal scenario fires the duplicate on exactly one match, and replays the failure.
    const fault = result.scenario.phases[0]!.faults[0]!;
    expect(fault.attributes.only).toEqual([result.minimal[0]!.ordinal]);
    const file = await writeScenarioFile(result.scenario, out, 'shrunk-scenario.yaml', 'shrunk');
    expect(readFileSync(file, 'utf8')).toMatch(/^# shrunk\n/);
    const replay = await runScenarioDetailed(await loadScenarioFile(file), { outDir: path.join(out, 'replay') });
    expect(replay.report.verdict).toBe('fail');
    expect(replay.journal.filter((e) => e.fired)).toHaveLength(1);
    // And with no decisions at all the same scenario passes: the failure really is the fault's.
    const clean = await runScenarioDetailed(scenarioWithDecisions(scenario, []), { outDir: path.join(out, 'clean') });
    expect(clean.report.verdict).toBe('pass');
    expect(liveProcessGroups()).toEqual([]);
  }, 120_000);
});
