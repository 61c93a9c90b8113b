import { describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { parseReportJson, renderJson } from '../../src/report/json.js';
import { REPORT_VERSION } from '../../src/report/model.js';
import { abortedReport, failingReport, hostileReport } from './fixtures.js';

describe('renderJson', () => {
  it('is pretty, version first, and reads back as the same report', () => {
    const r = failingReport();
    const text = renderJson(r);
    expect(text.startsWith(`{\n  "version": ${REPORT_VERSION},\n  "tool": {`)).toBe(true);
    expect(text.endsWith('}\n')).toBe(true);
    expect(parseReportJson(text)).toEqual(r);
    expect(JSON.parse(renderJson(hostileReport()))).toEqual(hostileReport());
    expect(JSON.parse(renderJson(abortedReport()))).toEqual(abortedReport());
  });

  it('never throws on what a checker may put in details: cycles, bigints, errors, maps, sets', () => {
    const r = failingReport();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const shared = { k: 1 };
    r.checks.push({
      suite: 'x',
      name: 'y',
      status: 'fail',
      details: { cyclic, big: 10n ** 20n, err: new Error('boom'), map: new Map([['a', 1]]), set: new Set([1, 2]), fn: () => 1, twice: [shared, shared] },
    });
    const back = JSON.parse(renderJson(r)) as typeof r;
    expect(back.checks.at(-1)?.details).toEqual({
      cyclic: { name: 'loop', self: '[Circular]' },
      big: '100000000000000000000',
      err: { name: 'Error', message: 'boom' },
      map: { a: 1 },
      set: [1, 2],
      twice: [{ k: 1 }, { k: 1 }],
    });
  });
});

describe('parseReportJson', () => {
  it('rejects what is not a report, and a newer version, with a config error', () => {
    const cases: Array<[string, RegExp]> = [
      ['not json', /not valid JSON/],
      ['[]', /expected a JSON object/],
      ['{"title":"x"}', /no "version" field/],
      [JSON.stringify({ ...abortedReport(), version: REPORT_VERSION + 1 }), /report version 2; this agentcheck reads up to version 1/],
      [JSON.stringify({ ...abortedReport(), budgets: 3 }), /"budgets" is not an array/],
    ];
    for (const [text, message] of cases) {
      let err: unknown;
      try {
        parseReportJson(text, 'r.json');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AgentcheckError);
      expect((err as AgentcheckError).code).toBe('config');
      expect((err as AgentcheckError).message).toMatch(message);
      expect((err as AgentcheckError).message.startsWith('r.json')).toBe(true);
    }
  });
});
