import { describe, expect, it } from 'vitest';
import { parseScenarioText, ScenarioValidationError } from '../../src/scenario/load.js';
import { driverWorkflows } from '../../src/workflow/scenario.js';

const base = (load: string) => `name: wf
agents:
  - name: intake
    command: node intake.js
edges: []
phases:
  - name: steady
    duration: 10s
load:
  target: intake
${load}`;

const issues = (text: string): string[] => {
  try {
    parseScenarioText(text, { file: 's.yaml', baseDir: '/srv' });
  } catch (e) {
    if (e instanceof ScenarioValidationError) return e.issues.map((i) => i.text);
    throw e;
  }
  return [];
};

describe('workflows in the scenario file', () => {
  const yaml = base(`  workflow_timeout: 10s
  follow:
    a2a: { poll_interval: 50ms, max_interval: 2s, input_required: ok }
  workflows:
    - name: order
      weight: 3
      steps:
        - name: send
          method: POST
          path: /a2a
          headers: { Content-Type: application/json, Idempotency-Key: "order-\${uuid}" }
          body: { jsonrpc: "2.0", id: "\${seq}", method: message/send, params: { message: { messageId: "\${uuid}", role: user, parts: [] } } }
          extract: { taskId: result.id }
        - name: wait
          path: /a2a
          body: { jsonrpc: "2.0", id: "\${seq}-poll", method: tasks/get, params: { id: "\${taskId}" } }
          until: { path: result.status.state, in: [completed, failed] }
          interval: 100ms
          timeout: 5s
    - name: status
      steps: [ { path: /healthz } ]
  requests:
    - { method: GET, path: /version }
`);

  it('loads the mix, the steps and the follow options into the model', () => {
    const load = parseScenarioText(yaml, { baseDir: '/srv' }).load!;
    expect(load.workflowTimeoutMs).toBe(10_000);
    expect(load.follow).toEqual({ a2a: { pollIntervalMs: 50, maxIntervalMs: 2000, inputRequired: 'ok', authRequired: 'error' } });
    expect(load.workflows.map((w) => [w.name, w.weight, w.steps.length])).toEqual([
      ['order', 3, 2],
      ['status', 1, 1],
      ['default', 1, 1],
    ]);
    expect(load.workflows[0]!.steps[1]).toMatchObject({ name: 'wait', method: 'POST', extract: {}, until: { path: 'result.status.state', in: ['completed', 'failed'] }, intervalMs: 100, timeoutMs: 5000 });
    expect(load.workflows[1]!.steps[0]).toMatchObject({ name: 'step1', method: 'GET', path: '/healthz' });
  });

  it('follow.a2a: false turns task following off; defaults apply without a follow section', () => {
    const off = parseScenarioText(base('  follow: { a2a: false }\n  requests: [ { method: GET, path: /x } ]\n'), { baseDir: '/srv' }).load!;
    expect(off.follow).toEqual({ a2a: false });
    expect(off.workflowTimeoutMs).toBe(30_000);
    expect(off.workflows.map((w) => w.name)).toEqual(['default']);
  });

  it('becomes driver workflows against the entry URL, with the key header and aliases resolved', () => {
    const load = parseScenarioText(yaml, { baseDir: '/srv' }).load!;
    const [order] = driverWorkflows('http://127.0.0.1:4000', load);
    const send = order!.steps[0]!;
    expect(send.url).toBe('http://127.0.0.1:4000/a2a');
    expect(send.idempotencyKey).toBe('order-${uuid}');
    expect(send.headers).toEqual({ 'Content-Type': 'application/json' });
    expect(send.extract).toEqual({ taskId: 'result.id' });
    expect(order!.steps[1]!.until).toEqual({ path: 'result.status.state', in: ['completed', 'failed'] });
  });

  it('reports a value used before the step that extracts it, at its line', () => {
    const bad = base(`  workflows:
    - name: order
      steps:
        - path: /tasks/\${taskId}
        - path: /a2a
          extract: { taskId: result.id }
`);
    const found = issues(bad);
    expect(found.join('\n')).toMatch(/s\.yaml:14:\d+: load\.workflows\[0\]\.steps\[0\]\.path: unknown placeholder "\$\{taskId\}"/);
  });

  it('reports duplicate names, unreadable paths, poll options without until, and a load with nothing to send', () => {
    const bad = base(`  workflows:
    - name: order
      steps:
        - { name: a, path: /x, extract: { "bad-name": result.id, id: "result..id" } }
        - { name: a, path: /y, interval: 1s }
    - name: order
      steps: [ { path: /z, until: { path: "x[", in: [1] } } ]
`);
    const text = issues(bad).join('\n');
    expect(text).toMatch(/steps\[1\]\.name: duplicate step name "a"/);
    expect(text).toMatch(/workflows\[1\]\.name: duplicate workflow name "order"/);
    expect(text).toMatch(/extract\.bad-name: got "bad-name", expected a name made of letters/);
    expect(text).toMatch(/extract\.id: cannot read the path at column \d+: empty segment/);
    expect(text).toMatch(/until\.path: cannot read the path/);
    expect(text).toMatch(/steps\[1\]\.interval: applies to poll steps only/);
    expect(issues(base('  rate: 5\n')).join('\n')).toMatch(/load(\.workflows)?: missing, expected workflows or requests/);
  });

  it('the schema rejects unknown step fields and a bad follow value', () => {
    const text = issues(base(`  follow: { a2a: yes }
  workflows:
    - name: w
      steps: [ { path: /x, retries: 3 } ]
`)).join('\n');
    expect(text).toMatch(/load\.follow\.a2a/);
    expect(text).toMatch(/steps\[0\]\.retries/);
  });
});
