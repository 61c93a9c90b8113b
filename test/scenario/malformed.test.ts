import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { parseScenarioText, ScenarioValidationError } from '../../src/scenario/load.js';
import { base, errorsOf, malformedCases } from './malformed-cases.js';

describe('malformed scenario files', () => {
  it('starts from a valid base (so each case fails for its own reason)', () => {
    expect(errorsOf(base())).toEqual([]);
    expect(errorsOf(base('load:\n  target: a\n  requests: [{ method: GET, path: / }]\n'))).toEqual([]);
  });

  it('has at least 30 cases with distinct names', () => {
    expect(malformedCases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(malformedCases.map((c) => c.name)).size).toBe(malformedCases.length);
  });

  it.each(malformedCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(errorsOf(c.yaml)).toEqual(c.errors);
  });

  it('throws one config error (exit 2) listing every issue', () => {
    const yaml = base('invariants:\n  - name: x\nseed: 1.5\n').replace('to: b,', 'to: c,');
    let caught: unknown;
    try {
      parseScenarioText(yaml, { file: 'bad.yaml' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ScenarioValidationError);
    const err = caught as ScenarioValidationError;
    expect(err.code).toBe('config');
    expect(err.exitCode).toBe(ExitCode.Usage);
    expect(err.message.split('\n')).toEqual([
      'invalid scenario bad.yaml (3 errors):',
      ...err.issues.map((i) => i.text),
    ]);
    expect(err.issues.map((i) => [i.line, i.col, i.path])).toEqual([
      [8, 20, 'edges[0].to'],
      [13, 5, 'invariants[0]'],
      [14, 7, 'seed'],
    ]);
  });
});
