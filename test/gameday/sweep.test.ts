/**
 * The trigger sweep on real agents: the metastable variant recovers from a 1 ms slow-down of
 * inventory and stays down after a 250 ms one, so the sweep reports the boundary between them.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGameDayFile } from '../../src/gameday/load.js';
import { runGameDay } from '../../src/gameday/run.js';

const ROOT = path.resolve(__dirname, '../..');

describe('trigger sweep', () => {
  it('reports where the recovery clause starts to fail', async () => {
    const gameday = await loadGameDayFile(path.join(ROOT, 'scenarios/gamedays/tipping-point.yaml'), path.join(ROOT, 'scenarios/gamedays/team-retry-storm.yaml'));
    expect(gameday.experiments[0]!.sweep!.cells.map((c) => [c.magnitude, c.durationMs, c.scenario.phases[1]!.faults[0]!.attributes.latency])).toEqual([
      [1, 2000, 1],
      [250, 2000, 250],
    ]);
    const report = await runGameDay(gameday, { outDir: mkdtempSync(path.join(os.tmpdir(), 'agentcheck-sweep-')), seed: '7' });
    const e = report.experiments[0]!;
    const cells = e.sweep!.cells.map((c) => [c.magnitude, c.recovery?.status]);
    expect(cells, e.reasons.join('\n')).toEqual([
      [1, 'pass'],
      [250, 'fail'],
    ]);
    expect(e.sweep!.boundary).toEqual([{ durationMs: 2000, firstFailing: 250, lastHolding: 1 }]);
    expect(e.verdict).toBe('deviated');
    expect(e.reasons[0]).toBe('sweep http_latency pool->inventory for 2000 ms: tips at latency = 250 (recovered at 1)');
    expect(e.findings).toContain('sweep tips at latency 250 for 2000 ms');
  }, 240_000);
});
