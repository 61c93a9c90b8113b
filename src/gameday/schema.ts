/**
 * The game-day file's schema: one source for the validator (the scenario validator's
 * `validate-schema.ts`, which reports every problem with its field path) and the exported
 * `schema/gameday.schema.json`. Fault phases and invariants reuse the scenario schema's
 * definitions, so a method phase is written exactly like a scenario phase.
 */
import { scenarioSchema, type SchemaNode } from '../scenario/schema.js';

function obj(description: string, properties: Record<string, SchemaNode>, required: string[] = []): SchemaNode {
  return { type: 'object', description, properties, required, additionalProperties: false };
}
const str = (description: string, extra: Partial<SchemaNode> = {}): SchemaNode => ({ type: 'string', description, ...extra });
const ref = (name: string, description?: string): SchemaNode => ({ $ref: `#/$defs/${name}`, ...(description ? { description } : {}) });
const list = (description: string, items: SchemaNode, minItems?: number): SchemaNode => ({ type: 'array', description, items, ...(minItems !== undefined ? { minItems } : {}) });

const PERCENT = '^[0-9]+(\\.[0-9]+)?%$';

const gamedayDefs: Record<string, SchemaNode> = {
  percent: str('A percentage, e.g. "90%".', { pattern: PERCENT, 'x-expected': 'a percentage such as "90%"' }),
  recovery: obj(
    'After the fault is removed, goodput and p99 return to within a margin of the steady state within a time, and stay there.',
    {
      within: ref('duration', 'How long the team may take to recover after the last fault is removed.'),
      goodput: ref('percent', 'Successful workflows per second must come back to at least this share of the steady state. Default "90%".'),
      p99: ref('percent', 'Workflow p99 must come back to at most this share of the steady state. Default "150%".'),
      window: ref('duration', 'Width of the sliding window recovery is measured over. Default "1s".'),
    },
    ['within'],
  ),
  hypothesis: obj(
    'What must hold while the method runs and after it.',
    {
      slo: list('SLO budgets (the scenario grammar); a bare budget judges workflows in every phase (steady-state, the method, after) unless it names phases.', ref('slo')),
      invariants: list('Invariants (the scenario format).', ref('invariant')),
      recovery: ref('recovery'),
    },
  ),
  steadyState: obj(
    'The baseline: measured before the method and, as long again, after it.',
    { duration: ref('duration', 'How long the steady state is measured, before and after.') },
    ['duration'],
  ),
  method: obj(
    'The fault phases, in the scenario format, with the load during them.',
    {
      load: obj('Load of the whole experiment (steady state included).', {
        rate: { type: 'number', exclusiveMinimum: 0, description: 'Workflows per second (open model).', 'x-expected': 'a number > 0' },
      }),
      phases: list('Fault phases, in order.', ref('phase'), 1),
    },
    ['phases'],
  ),
  rollbackStep: {
    description: 'A rollback command: a string or list (run in the game-day file\'s folder), or { name, command, timeout }.',
    anyOf: [
      ref('command'),
      obj('A named rollback command.', { name: str('Name in the journal.', { minLength: 1 }), command: ref('command'), timeout: ref('duration', 'Killed after this long. Default "30s".') }, ['command']),
    ],
    'x-expected': 'a command or a map with command, name, timeout',
  },
  sweep: obj(
    'A trigger sweep: rerun the experiment over magnitudes × durations of one fault and report where the recovery clause starts to fail.',
    {
      phase: str('The method phase whose fault is swept. Default: the first phase with faults.', { minLength: 1 }),
      fault: { type: 'integer', minimum: 0, description: 'Index of the fault in that phase. Default 0.', 'x-expected': 'an integer ≥ 0' },
      attribute: str('The fault attribute swept, e.g. "latency".', { minLength: 1 }),
      magnitudes: list('Attribute values, smallest first.', { type: 'number', 'x-expected': 'a number' }, 1),
      durations: list('Durations of the phase.', ref('duration'), 1),
    },
    ['attribute', 'magnitudes', 'durations'],
  ),
  experiment: obj(
    'One experiment: a steady state, a method, a hypothesis judged against the steady state, abort conditions and a rollback.',
    {
      name: str('Unique experiment name (reports, JUnit test case): letters, digits, ".", "_" and "-".', {
        pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
        'x-expected': 'a name made of letters, digits, ".", "_" and "-"',
      }),
      description: str('What the experiment shows.'),
      weight: { type: 'number', exclusiveMinimum: 0, description: 'Weight in the resilience score. Default 1.', 'x-expected': 'a number > 0' },
      restart: { type: 'boolean', description: "Start a fresh team for this experiment (default: the game day's team.restart)." },
      hypothesis: ref('hypothesis'),
      steady_state: ref('steadyState'),
      method: ref('method'),
      abort: list(
        'Abort conditions, checked every 200 ms: "error_rate > 20% over 5s", "p(99) > 2s over 5s", "goodput < 5 over 3s", \'invariant "<name>" broken every 500ms\', "burn_rate(error_rate < 1%) >= 14.4 over 5s".',
        str('An abort condition.', { minLength: 1 }),
      ),
      rollback: list('Rollback commands, all run in order after the experiment whatever happened; a failing one does not stop the rest.', ref('rollbackStep')),
      sweep: ref('sweep'),
    },
    ['name', 'hypothesis', 'steady_state', 'method'],
  ),
};

/** The game-day schema, with the scenario schema's `x-expected` hints. */
export const gamedaySchema: SchemaNode = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://agentcheck.dev/schema/gameday.schema.json',
  title: 'agentcheck game day',
  ...obj(
    'A chaos game day: a team and a list of experiments, each with a hypothesis, a steady state, a method, abort conditions and a rollback. See docs/gameday.md.',
    {
      $schema: str('JSON Schema reference for editors; ignored.'),
      name: str('Game-day name, used in reports.', { minLength: 1 }),
      description: str('What the game day is for.'),
      team: obj(
        'The team under test.',
        {
          scenario: str("A scenario file (.yaml, .yml, .json) whose agents, edges, load and chaos settings are used; its phases, slo and invariants are not. Relative to this file's folder.", { minLength: 1 }),
          restart: { type: 'boolean', description: 'Start a fresh team for every experiment. Default false: one team, started once, shared.' },
        },
        ['scenario'],
      ),
      experiments: list('The experiments, run in order.', ref('experiment'), 1),
    },
    ['name', 'team', 'experiments'],
  ),
  $defs: { ...scenarioSchema.$defs, ...gamedayDefs },
};

/** The exact text of `schema/gameday.schema.json` (without agentcheck's private `x-expected`); a test compares the two. */
export function gamedayJsonSchemaText(): string {
  return `${JSON.stringify(gamedaySchema, (key, value: unknown) => (key === 'x-expected' ? undefined : value), 2)}\n`;
}
