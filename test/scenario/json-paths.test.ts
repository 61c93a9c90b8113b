import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { parseScenarioText, ScenarioValidationError } from '../../src/scenario/load.js';
import { base, errorsOf } from './malformed-cases.js';

const load = 'load:\n  target: a\n  requests: [{ method: POST, path: /orders, body: { orderId: "${uuid}" } }]\n';
const invariant = (key: string, list?: string) =>
  `invariants:\n  - name: once\n    exactly_once:\n      effects: { agent: b, path: /ledger${list !== undefined ? `, list: ${list}` : ''} }\n      key: ${key}\n`;

describe('JSON paths are checked when the scenario loads', () => {
  it('accepts the path forms invariants and workflow steps share', () => {
    expect(errorsOf(base(load + invariant('orderId')))).toEqual([]);
    expect(errorsOf(base(load + invariant(`'meta["order id"]'`, '"data.pages[0].charges"')))).toEqual([]);
    expect(errorsOf(base(load + invariant('meta.key', 'items.0.effects')))).toEqual([]);
  });

  it('reports a malformed invariant key or list at the character where it breaks, with its field path (exit 2)', () => {
    // Lines 12-14 are the load, 15 the invariants, 18 effects, 19 key.
    expect(errorsOf(base(load + invariant('meta..key')))).toEqual([
      'bad.yaml:19:17: invariants[0].exactly_once.key: cannot read the path at column 6: empty segment, expected a path such as result.id, items[0].id or meta["a key"]',
    ]);
    expect(errorsOf(base(load + invariant('orderId', '"data charges"')))).toEqual([
      'bad.yaml:18:54: invariants[0].exactly_once.effects.list: cannot read the path at column 5: expected \'.\' or \'[\' between segments, expected a path such as result.id, items[0].id or meta["a key"]',
    ]);
    let caught: unknown;
    try {
      parseScenarioText(base(load + invariant('.orderId')), { file: 'bad.yaml' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ScenarioValidationError);
    expect((caught as ScenarioValidationError).exitCode).toBe(ExitCode.Usage);
  });

  it('reports a malformed extract or until path of a workflow step the same way', () => {
    const yaml = base(`load:
  target: a
  workflows:
    - name: w
      steps:
        - { path: /x, extract: { id: "result[x]" } }
        - { path: /y, until: { path: result.status., in: [done] } }
`);
    expect(errorsOf(yaml)).toEqual([
      'bad.yaml:17:46: load.workflows[0].steps[0].extract.id: cannot read the path at column 8: expected an index such as [0] or a quoted key such as ["name"], expected a path such as result.id, items[0].id or meta["a key"]',
      'bad.yaml:18:52: load.workflows[0].steps[1].until.path: cannot read the path at column 15: the path ends with a dot, expected a path such as result.id, items[0].id or meta["a key"]',
    ]);
  });
});
