import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { parseScenarioText, scenarioFromValue, ScenarioValidationError } from '../../src/scenario/load.js';

/** Runs `fn`; it may return or throw an AgentcheckError (exit 2), never anything else. */
function onlyConfigErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof AgentcheckError)) throw err;
    expect(err.code).toBe('config');
    if (err instanceof ScenarioValidationError) {
      expect(err.issues.length).toBeGreaterThan(0);
      for (const issue of err.issues) expect(issue.text).toMatch(/^f\.yaml(:\d+:\d+)?: /);
    }
  }
}

// Values that look like parts of a scenario, so the generator reaches deep checks, not just the root.
const key = fc.constantFrom(
  'name', 'agents', 'edges', 'phases', 'load', 'slo', 'invariants', 'command', 'from', 'to', 'env', 'duration',
  'faults', 'edge', 'type', 'port', 'readiness', 'http', 'tcp', 'target', 'requests', 'method', 'path', 'runtime',
  'chaos', 'backend', 'exactly_once', 'effects', 'key', 'after', 'a', 'b',
);
const leaf = fc.oneof(
  fc.constantFrom('a', 'b', 'a->b', 'latency', 'duplicate', '1s', 'auto', 'GET', '/x', 'tcp', 'containers', '${uuid}', '${x}', ''),
  fc.integer({ min: -5, max: 70_000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const scenarioish = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('list'), tie('map')),
  list: fc.array(tie('value'), { maxLength: 4 }),
  map: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
})).value;

describe('the loader never throws anything but AgentcheckError (properties)', () => {
  it('on random text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => onlyConfigErrors(() => parseScenarioText(text, { file: 'f.yaml' }))), {
      numRuns: 1500,
    });
  });

  it('on random YAML-ish text built from YAML punctuation', () => {
    const token = fc.constantFrom('name', ':', ' ', '\n', '  ', '- ', '[', ']', '{', '}', ',', '"', "'", '&a ', '*a', '#', '|', '>', '? ', '!!str ', '%YAML 1.2\n', '---\n', '\t', 'a', '1s');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => onlyConfigErrors(() => parseScenarioText(tokens.join(''), { file: 'f.yaml' }))),
      { numRuns: 1500 },
    );
  });

  it('on random scenario-shaped documents, as YAML and as values', () => {
    fc.assert(
      fc.property(scenarioish, (doc) => {
        onlyConfigErrors(() => parseScenarioText(stringify(doc), { file: 'f.yaml' }));
        onlyConfigErrors(() => scenarioFromValue(doc, { file: 'f.yaml' }));
      }),
      { numRuns: 1500 },
    );
  });

  it('on a valid scenario with one random field replaced', () => {
    const fields = ['name', 'agents', 'edges', 'phases', 'load', 'slo', 'invariants', 'seed', 'warmup', 'chaos', 'runtime'];
    fc.assert(
      fc.property(fc.constantFrom(...fields), scenarioish, (field, value) => {
        const doc = { ...validBase(), [field]: value };
        onlyConfigErrors(() => parseScenarioText(stringify(doc), { file: 'f.yaml' }));
      }),
      { numRuns: 1000 },
    );
  });
});

function validBase(): Record<string, unknown> {
  return {
    name: 't',
    agents: [{ name: 'a', command: 'node a.js' }, { name: 'b', command: 'node b.js' }],
    edges: [{ from: 'a', to: 'b', env: 'B_URL' }],
    phases: [{ name: 'p1', duration: '1s' }],
  };
}
