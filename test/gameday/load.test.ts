/** The game-day file: every problem at once as FILE:LINE:COL: path: message (exit 2), and the abort-condition grammar. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAbortCondition, windowConditionFires, AbortConditionError } from '../../src/gameday/abort-condition.js';
import { GameDayValidationError, loadGameDayFile } from '../../src/gameday/load.js';
import { AFTER_PHASE, STEADY_PHASE } from '../../src/gameday/model.js';
import { gamedayDir } from './helpers.js';

const GOOD = `name: t
team: { scenario: team.yaml }
experiments:
  - name: slow
    hypothesis:
      slo: [ "avg < 2s" ]
      recovery: { within: 2s, goodput: 80%, p99: 200% }
    steady_state: { duration: 2s }
    method:
      load: { rate: 20 }
      phases:
        - { name: slow, duration: 1s, faults: [{ edge: front->back, type: latency, attributes: { latency: 50 } }] }
    abort: [ "error_rate > 20% over 5s", "p(99) > 2s over 5s", "burn_rate(error_rate < 1%) >= 14.4 over 5s", "goodput < 1 over 2s" ]
    rollback: [ "true", { name: named, command: [node, -e, "0"], timeout: 5s } ]
`;

async function issuesOf(body: string): Promise<string[]> {
  const { file } = gamedayDir(body);
  try {
    await loadGameDayFile(file);
  } catch (err) {
    expect(err).toBeInstanceOf(GameDayValidationError);
    expect((err as GameDayValidationError).exitCode).toBe(2);
    return (err as GameDayValidationError).issues.map((i) => i.text.slice(file.length + 1));
  }
  throw new Error('expected the file to be refused');
}

describe('game-day file', () => {
  it('loads a valid file into experiments with steady-state, method and after phases', async () => {
    const { file } = gamedayDir(GOOD);
    const g = await loadGameDayFile(file);
    const e = g.experiments[0]!;
    expect(e.scenario.phases.map((p) => [p.name, p.durationMs])).toEqual([
      [STEADY_PHASE, 2000],
      ['slow', 1000],
      [AFTER_PHASE, 4000],
    ]);
    expect(e.scenario.load?.rate).toBe(20);
    expect(e.recovery).toEqual({ withinMs: 2000, goodput: 0.8, p99: 2, windowMs: 1000 });
    expect(e.abort.map((a) => a.kind)).toEqual(['window', 'window', 'burn', 'window']);
    expect(e.rollback.map((r) => [r.name, r.timeoutMs])).toEqual([
      ['true', 30_000],
      ['named', 5000],
    ]);
    expect(e.scenario.agents.map((a) => a.name)).toEqual(['front', 'back']);
  });

  it('reports every problem with line, column and field path, mapped back from the experiment scenario', async () => {
    const lines = await issuesOf(`name: t
team: { scenario: team.yaml }
experiments:
  - name: bad
    hypothesis:
      slo: [ "p(99) < 2x" ]
      invariants: [{ name: probe, http: { agent: back, path: /invariants } }]
    steady_state: { duration: 2s }
    method:
      phases:
        - { name: slow, duration: 1s, faults: [{ edge: front->nowhere, type: latency, attributes: { latency: 50 } }] }
        - { name: after, duration: 1s }
    abort: [ "error_rate > 20 over 5s", 'invariant "other" broken' ]
`);
    expect(lines).toEqual([
      expect.stringMatching(/^6:24: experiments\[0\]\.hypothesis\.slo\[0\]: cannot read budget: unknown unit 'x'/),
      expect.stringMatching(/^8:19: experiments\[0\]\.steady_state: duplicate phase name "after"/),
      expect.stringMatching(/^11:56: experiments\[0\]\.method\.phases\[0\]\.faults\[0\]\.edge: unknown edge "front->nowhere"/),
      expect.stringMatching(/^12:19: experiments\[0\]\.method\.phases\[1\]\.name: got "after", expected a name other than/),
      expect.stringMatching(/^13:14: experiments\[0\]\.abort\[0\]: got "error_rate > 20 over 5s", expected/),
      expect.stringMatching(/^13:41: experiments\[0\]\.abort\[1\]: got invariant "other", expected one of the hypothesis's invariants: "probe"/),
    ]);
  });

  it('refuses a sweep without a recovery clause', async () => {
    const lines = await issuesOf(GOOD.replace('      recovery: { within: 2s, goodput: 80%, p99: 200% }\n', '').replace('    rollback:', '    sweep: { attribute: latency, magnitudes: [10, 50], durations: [1s] }\n    rollback:'));
    expect(lines).toEqual([expect.stringMatching(/^13:12: experiments\[0\].sweep: got a sweep without hypothesis\.recovery/)]);
  });

  it('refuses unknown fields (the schema pass) with the fields it expected', async () => {
    const lines = await issuesOf(GOOD.replace('    rollback:', '    unknown: 1\n    rollback:'));
    expect(lines).toEqual([expect.stringMatching(/^14:5: experiments\[0\]\.unknown: unknown field, expected one of: name, description/)]);
  });

  it('refuses a team without load, and a method without any fault', async () => {
    const noFault = gamedayDir(GOOD.replace('faults: [{ edge: front->back, type: latency, attributes: { latency: 50 } }]', 'faults: []'));
    await expect(loadGameDayFile(noFault.file)).rejects.toThrow(/method\.phases: got no fault in any phase/);
    const noLoad = gamedayDir(GOOD);
    writeFileSync(path.join(noLoad.dir, 'team.yaml'), readFileSync(path.join(noLoad.dir, 'team.yaml'), 'utf8').replace(/^load:.*$/m, ''));
    await expect(loadGameDayFile(noLoad.file)).rejects.toThrow(/team\.scenario: got a scenario without a load section/);
  });
});

describe('abort conditions', () => {
  it('parses each form and refuses anything else with what was expected', () => {
    expect(parseAbortCondition('error_rate > 20% over 5s')).toMatchObject({ kind: 'window', metric: 'error_rate', threshold: 0.2, windowMs: 5000 });
    expect(parseAbortCondition('p(99) > 2s over 500ms')).toMatchObject({ kind: 'window', metric: 'p99', threshold: 2000, windowMs: 500 });
    expect(parseAbortCondition('burn_rate(error_rate < 1%) >= 14.4 over 5s')).toMatchObject({ kind: 'burn', threshold: 14.4 });
    expect((parseAbortCondition('burn_rate(error_rate < 1%) >= 14.4 over 5s') as { allowance: number }).allowance).toBeCloseTo(0.01);
    expect(parseAbortCondition('invariant "x y" broken every 300ms', ['x y'])).toMatchObject({ kind: 'invariant', invariant: 'x y', everyMs: 300 });
    expect(() => parseAbortCondition('burn_rate(p(99) < 1s) >= 2 over 5s')).toThrow(/not an error-rate objective/);
    expect(() => parseAbortCondition('error_rate > 20% over never')).toThrow(/expected a duration/);
  });

  it('never throws anything but AbortConditionError on arbitrary text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          parseAbortCondition(text, ['a']);
        } catch (err) {
          expect(err).toBeInstanceOf(AbortConditionError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('an error-rate condition fires above its threshold with enough workflows, never below or with too few (property)', () => {
    const c = parseAbortCondition('error_rate > 20% over 5s');
    if (c.kind === 'invariant') throw new Error('unexpected');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 200 }), (requests, rawErrors) => {
        const errors = Math.min(requests, rawErrors);
        const errorRate = requests === 0 ? 0 : errors / requests;
        const fired = windowConditionFires(c, { requests, errors, errorRate, p99Ms: null, goodput: 0 });
        expect(fired !== undefined).toBe(requests >= 5 && errorRate > 0.2);
      }),
    );
  });
});
