import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toXmlChars } from '../../src/report/escape.js';
import { renderJunit } from '../../src/report/junit.js';
import type { CheckStatus, RunReport } from '../../src/report/model.js';
import { abortedReport, failingReport, HOSTILE, hostileReport, invalidReport, passingReport } from './fixtures.js';
import { findAll, parseXml, textOf, type XmlElement } from './xml.js';

function suite(root: XmlElement, name: string): XmlElement {
  const s = findAll(root, 'testsuite').find((e) => e.attrs.name === name);
  if (!s) throw new Error(`no suite ${name}`);
  return s;
}

function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === name);
}

/** Checks that every count attribute agrees with the test cases actually present. */
function expectConsistentCounts(root: XmlElement): void {
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  for (const s of findAll(root, 'testsuite')) {
    const cases = findAll(s, 'testcase');
    const f = cases.filter((c) => child(c, 'failure')).length;
    const e = cases.filter((c) => child(c, 'error')).length;
    const k = cases.filter((c) => child(c, 'skipped')).length;
    expect(s.attrs).toMatchObject({ tests: String(cases.length), failures: String(f), errors: String(e), skipped: String(k) });
    tests += cases.length;
    failures += f;
    errors += e;
    skipped += k;
  }
  expect(root.attrs).toMatchObject({ tests: String(tests), failures: String(failures), errors: String(errors), skipped: String(skipped) });
}

describe('renderJunit', () => {
  it('a passing run: one suite per kind, every case passes, warnings go to system-out', () => {
    const root = parseXml(renderJunit(passingReport()));
    expect(root.name).toBe('testsuites');
    expect(findAll(root, 'testsuite').map((s) => s.attrs.name)).toEqual(['run', 'agents', 'budgets', 'invariants']);
    expect(root.attrs).toMatchObject({ tests: '9', failures: '0', errors: '0', skipped: '0', time: '60.000' });
    expectConsistentCounts(root);
    const budgets = findAll(suite(root, 'budgets'), 'testcase');
    expect(budgets.map((c) => c.attrs.name)).toEqual([
      'http.latency: p(99) < 300ms [baseline]',
      'http.latency: p(99) < 800ms [latency-on-payments]',
      'http.error_rate: error_rate < 1% [run]',
      'http.throughput: throughput >= 200/s [run]',
    ]);
    const warn = budgets[2];
    expect(warn && child(warn, 'failure')).toBeUndefined();
    expect(warn && textOf(child(warn, 'system-out') ?? { name: '', attrs: {}, children: [] })).toContain('WARN: a window burned the error budget at 1.2×');
    // Agent start time is the readiness time.
    expect(findAll(suite(root, 'agents'), 'testcase')[0]?.attrs.time).toBe('0.310');
    const props = Object.fromEntries(findAll(suite(root, 'run'), 'property').map((p) => [p.attrs.name, p.attrs.value]));
    expect(props).toMatchObject({ seed: '42', verdict: 'pass', kind: 'scenario', source: 'scenarios/order-fulfilment.yaml' });
  });

  it('a failing run: failures carry the reason and the figures', () => {
    const root = parseXml(renderJunit(failingReport()));
    expectConsistentCounts(root);
    // run verdict + breached budget + invariant + crashed agent + failed check
    expect(root.attrs).toMatchObject({ failures: '5', errors: '0' });
    const breached = findAll(suite(root, 'budgets'), 'testcase').find((c) => child(c, 'failure'));
    const failure = breached && child(breached, 'failure');
    expect(failure?.attrs).toEqual({ message: 'p99 512.8 ms exceeds 300 ms', type: 'budget' });
    expect(failure && textOf(failure)).toContain('burn rate: 16.2×');
    expect(failure && textOf(failure)).toContain('samples: 4050');
    const inv = findAll(suite(root, 'invariants'), 'testcase').find((c) => child(c, 'failure'));
    expect(inv?.attrs.name).toBe('payments-exactly-once (exactly_once, end)');
    expect(inv && child(inv, 'failure')?.attrs.message).toBe('3 orders charged twice: o-1, o-7, o-9');
    expect(inv && textOf(child(inv, 'failure') as XmlElement)).toContain('"o-7"');
    const crashed = findAll(suite(root, 'agents'), 'testcase').find((c) => c.attrs.name === 'start notifier');
    expect(crashed && child(crashed, 'failure')?.attrs).toEqual({ message: 'exited with code 1 at 41.2 s', type: 'agent-crashed' });
    const checks = findAll(suite(root, 'idempotency'), 'testcase');
    expect(checks.map((c) => [c.attrs.name, child(c, 'failure') ? 'fail' : 'pass'])).toEqual([
      ['duplicate delivery', 'fail'],
      ['missing key → 400', 'pass'],
    ]);
    const run = findAll(suite(root, 'run'), 'testcase')[0];
    expect(run && child(run, 'failure')?.attrs).toEqual({ message: failingReport().reasons[0], type: 'fail' });
  });

  it('an invalid run is never a pass: invalid checks are failures of type "invalid"; skipped are <skipped/>', () => {
    const root = parseXml(renderJunit(invalidReport()));
    expectConsistentCounts(root);
    const budgets = findAll(suite(root, 'budgets'), 'testcase');
    expect(budgets).toHaveLength(2);
    for (const b of budgets) expect(child(b, 'failure')?.attrs.type).toBe('invalid');
    expect(budgets[0] && child(budgets[0], 'failure')?.attrs.message).toBe('no data');
    const run = findAll(suite(root, 'run'), 'testcase')[0];
    expect(run && child(run, 'failure')?.attrs.type).toBe('invalid');
    const skipped = findAll(suite(root, 'idempotency'), 'testcase')[0];
    expect(skipped && child(skipped, 'skipped')?.attrs.message).toBe('no concurrent duplicate was delivered');
    expect(root.attrs).toMatchObject({ failures: '3', skipped: '1' });
  });

  it('an aborted run with nothing measured still fails (the verdict case), and an error verdict is an <error>', () => {
    const root = parseXml(renderJunit(abortedReport()));
    expectConsistentCounts(root);
    expect(findAll(root, 'testsuite').map((s) => s.attrs.name)).toEqual(['run', 'agents']);
    const run = findAll(suite(root, 'run'), 'testcase')[0] as XmlElement;
    expect(child(run, 'failure')?.attrs.type).toBe('aborted');
    expect(textOf(child(run, 'failure') as XmlElement)).toContain('aborted by SIGINT: interrupted during baseline');

    const errored: RunReport = { ...abortedReport(), verdict: 'error', aborted: undefined, reasons: ['agent intake never became ready'] };
    const root2 = parseXml(renderJunit(errored));
    expect(root2.attrs).toMatchObject({ failures: '0', errors: '1' });
    const run2 = findAll(root2, 'testcase')[0] as XmlElement;
    expect(child(run2, 'error')?.attrs.message).toBe('agent intake never became ready');
  });

  it('hostile strings come back exactly (illegal control characters as U+FFFD) and the document stays well-formed', () => {
    const report = hostileReport();
    const xml = renderJunit(report);
    expect(xml).not.toContain('<script>');
    expect(xml).not.toContain(']]>');
    const root = parseXml(xml);
    expectConsistentCounts(root);
    expect(root.attrs.name).toBe(`agentcheck scenario: ${report.title}`);
    const agent = findAll(suite(root, 'agents'), 'testcase')[0] as XmlElement;
    expect(agent.attrs.name).toBe(`start ${HOSTILE.tags}`);
    expect(child(agent, 'failure')?.attrs.message).toBe(toXmlChars(Object.values(HOSTILE).join(' / ')));
    const inv = findAll(suite(root, 'invariants'), 'testcase').find((c) => c.attrs.name?.startsWith(HOSTILE.quotes));
    expect(inv?.attrs.name).toBe(`${HOSTILE.quotes} (command, ${HOSTILE.newlines})`);
    expect(inv && child(inv, 'failure')?.attrs.message).toBe(toXmlChars(HOSTILE.controls));
    const checks = findAll(suite(root, HOSTILE.emoji), 'testcase');
    expect(checks.map((c) => c.attrs.name)).toEqual([HOSTILE.cdata, HOSTILE.newlines]);
    expect(Object.fromEntries(findAll(suite(root, 'run'), 'property').map((p) => [p.attrs.name, p.attrs.value])).seed).toBe(HOSTILE.cdata);
  });

  it('any report built from arbitrary strings and statuses renders to well-formed XML with consistent counts', () => {
    const status = fc.constantFrom<CheckStatus>('pass', 'fail', 'warn', 'invalid', 'skipped');
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.array(fc.record({ suite: fc.string({ unit: 'binary', maxLength: 8 }), name: fc.string({ unit: 'binary' }), status, message: fc.option(fc.string({ unit: 'binary' }), { nil: undefined }) }), { maxLength: 8 }),
        fc.array(fc.tuple(fc.string({ unit: 'binary' }), status), { maxLength: 5 }),
        (title, checks, invs) => {
          const r = passingReport();
          r.title = title;
          r.checks = checks;
          r.invariants = invs.map(([name, s]) => ({ name, kind: 'http', when: 'end', status: s, finding: name }));
          const root = parseXml(renderJunit(r));
          expectConsistentCounts(root);
          expect(root.attrs.name).toBe(toXmlChars(`agentcheck scenario: ${title}`));
          const expected = 1 + r.agents.length + r.budgets.length + invs.length + checks.length;
          expect(findAll(root, 'testcase')).toHaveLength(expected);
          const failing = checks.filter((c) => c.status === 'fail' || c.status === 'invalid').length + invs.filter(([, s]) => s === 'fail' || s === 'invalid').length;
          expect(Number(root.attrs.failures)).toBe(failing);
        },
      ),
      { numRuns: 300 },
    );
  });
});
