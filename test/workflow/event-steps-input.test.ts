/**
 * Event steps (`publish`, `await_event`) in the scenario file: what loads into the model and the
 * driver's specs (the broker URL from via, load.nats or the one broker agent), what compiles, and
 * the exit-2 messages with FILE:LINE:COL and field path for what cannot run.
 */
import { describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { compileWorkflow } from '../../src/workflow/compile.js';
import { validSubject, validSubscribeSubject } from '../../src/workflow/nats.js';
import { brokerUrlOf, driverWorkflows } from '../../src/workflow/scenario.js';
import { errorsOf as issues } from '../scenario/malformed-cases.js';

/** A scenario with a broker agent behind one nats edge, and `load` appended. */
const base = (load: string, edges = `  - { from: ledger, to: broker, env: NATS_URL, protocol: nats }`) => `name: ev
agents:
  - name: broker
    command: nats-server -p 4222
    readiness: { tcp: true }
  - name: ledger
    command: node ledger.js
edges:
${edges}
phases:
  - name: steady
    duration: 10s
load:
${load}`;

const good = base(`  target: ledger
  workflows:
    - name: order
      steps:
        - name: place
          publish: { subject: order.placed, headers: { Nats-Msg-Id: "\${uuid}" }, body: { orderId: "\${uuid}" } }
        - name: booked
          await_event: { subject: order.booked, match: { path: orderId, equals: "\${uuid}" }, timeout: 3s }
          extract: { bookedSeq: streamSeq }
        - name: check
          path: /orders/\${bookedSeq}
`);

describe('event steps in the scenario file', () => {
  it('load into the model and into driver specs for the one broker agent (its port, not an edge proxy)', () => {
    const load = parseScenarioText(good, { baseDir: '/srv' }).load!;
    const [place, booked, check] = load.workflows[0]!.steps;
    expect(place).toMatchObject({ name: 'place', publish: { subject: 'order.placed', headers: { 'Nats-Msg-Id': '${uuid}' }, body: { orderId: '${uuid}' } } });
    expect(booked).toMatchObject({ name: 'booked', awaitEvent: { subject: 'order.booked', match: { path: 'orderId', equals: '${uuid}' } }, timeoutMs: 3000, extract: { bookedSeq: 'streamSeq' } });
    expect(check!.path).toBe('/orders/${bookedSeq}');
    const brokers = { target: 'ledger', natsEdgeTargets: ['broker'], agentUrl: (n: string) => ({ broker: 'http://127.0.0.1:4321', ledger: 'http://127.0.0.1:5000' })[n] };
    const [spec] = driverWorkflows('http://127.0.0.1:5000', load, brokers);
    expect(spec!.steps[0]).toMatchObject({ url: 'nats://127.0.0.1:4321', publish: { subject: 'order.placed' }, idempotencyKey: '${uuid}' });
    expect(spec!.steps[1]).toMatchObject({ url: 'nats://127.0.0.1:4321', awaitEvent: { subject: 'order.booked' }, timeoutMs: 3000 });
    expect(spec!.steps[2]!.url).toBe('http://127.0.0.1:5000/orders/${bookedSeq}');
    // The driver compiles them: kinds, the broker origin, the extracted name usable after the await.
    const compiled = compileWorkflow(spec!);
    expect(compiled.steps.map((s) => [s.kind, s.origin])).toEqual([
      ['publish', 'nats://127.0.0.1:4321'],
      ['await', 'nats://127.0.0.1:4321'],
      ['http', 'http://127.0.0.1:5000'],
    ]);
    expect(compiled.steps[0]!.path.render({ uuid: 'u-1', seq: 0, phase: 'p' })).toBe('order.placed');
    expect(compiled.steps[0]!.body!.render({ uuid: 'u-1', seq: 0, phase: 'p' })).toBe('{"orderId":"u-1"}');
    expect(compiled.steps[1]!.awaitEvent!.equals.render({ uuid: 'u-1', seq: 0, phase: 'p' })).toBe('u-1');
  });

  it('resolve the broker from via first, then load.nats, then the target when it is a broker, else the one broker', () => {
    const step = { name: 's', method: 'POST' as const, path: '', headers: {}, extract: {}, publish: { subject: 'a', headers: {} } };
    const urls = (n: string) => ({ broker: 'http://127.0.0.1:1', bus: 'http://127.0.0.1:2' })[n];
    expect(brokerUrlOf({ ...step, via: 'bus' }, { nats: 'nats://10.0.0.1:4222' }, { target: 'x', natsEdgeTargets: ['broker'], agentUrl: urls })).toBe('nats://127.0.0.1:2');
    expect(brokerUrlOf(step, { nats: 'nats://10.0.0.1:4222' }, { target: 'x', natsEdgeTargets: ['broker'], agentUrl: urls })).toBe('nats://10.0.0.1:4222');
    expect(brokerUrlOf(step, {}, { target: 'bus', natsEdgeTargets: ['broker', 'bus'], agentUrl: urls })).toBe('nats://127.0.0.1:2');
    expect(brokerUrlOf(step, {}, { target: 'x', natsEdgeTargets: ['broker', 'broker'], agentUrl: urls })).toBe('nats://127.0.0.1:1');
    const none = () => brokerUrlOf(step, {}, { target: 'x', natsEdgeTargets: ['broker', 'bus'], agentUrl: urls });
    expect(none).toThrow(AgentcheckError);
    expect(none).toThrow(/names no broker/);
  });

  it('report a publish step without a resolvable broker at its line with the field path (exit 2)', () => {
    const text = base(
      `  target: ledger
  workflows:
    - name: order
      steps:
        - publish: { subject: order.placed }
`,
      '  []',
    );
    const found = issues(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^bad\.yaml:\d+:\d+: load\.workflows\[0\]\.steps\[0\]\.via: missing, expected via: <broker agent> or load\.nats: nats:\/\/host:port \(the step needs a NATS broker and no nats edge leads to a broker agent\)$/);
    // With load.nats, or with via, it is valid.
    expect(issues(text.replace('  target: ledger', '  target: ledger\n  nats: nats://127.0.0.1:4222'))).toEqual([]);
    expect(issues(text.replace('- publish:', '- via: broker\n          publish:'))).toEqual([]);
    // An unknown via agent names the agents.
    expect(issues(text.replace('- publish:', '- via: brokr\n          publish:'))[0]).toMatch(/steps\[0\]\.via: unknown agent "brokr" \(did you mean "broker"\?\), expected the broker agent, one of: broker, ledger$/);
  });

  it('report bad subjects, bad match paths, unknown placeholders and mixed step kinds with their paths', () => {
    const text = base(`  target: broker
  nats: http://127.0.0.1:4222
  workflows:
    - name: order
      steps:
        - name: a
          publish: { subject: "order placed", body: { id: "\${orderId}" } }
        - name: b
          await_event: { subject: "orders.\${uuid}", match: { path: "items[", equals: "\${uuid}" } }
        - name: c
          await_event: { subject: "orders.>.x", match: { path: id, equals: "\${nope}" } }
        - name: d
          path: /x
          publish: { subject: x }
        - name: e
          method: POST
          await_event: { subject: y, match: { path: id, equals: "\${uuid}" } }
        - name: f
          via: broker
          path: /y
        - name: g
          method: GET
`);
    const found = issues(text);
    const at = (path: string) => found.find((f) => f.includes(` ${path}: `)) ?? `(nothing at ${path} in:\n${found.join('\n')})`;
    expect(at('load.nats')).toMatch(/^bad\.yaml:\d+:\d+: load\.nats: .*expected a URL such as nats:\/\/127\.0\.0\.1:4222/);
    expect(at('load.workflows[0].steps[0].publish.subject')).toMatch(/got "order placed", expected a subject to publish to/);
    expect(at('load.workflows[0].steps[0].publish.body.id')).toMatch(/unknown placeholder "\$\{orderId\}"/);
    expect(at('load.workflows[0].steps[1].await_event.subject')).toMatch(/expected a subject without placeholders/);
    expect(at('load.workflows[0].steps[1].await_event.match.path')).toMatch(/cannot read the path at column 7/);
    expect(at('load.workflows[0].steps[2].await_event.subject')).toMatch(/expected a subject to subscribe to/);
    expect(at('load.workflows[0].steps[2].await_event.match.equals')).toMatch(/unknown placeholder "\$\{nope\}"/);
    expect(at('load.workflows[0].steps[3].publish')).toMatch(/got both path and publish, expected one of path, publish, await_event per step/);
    expect(at('load.workflows[0].steps[4].method')).toMatch(/applies to HTTP steps only/);
    expect(at('load.workflows[0].steps[5].via')).toMatch(/applies to event steps only/);
    expect(at('load.workflows[0].steps[6].path')).toMatch(/missing, expected path \(an HTTP request\), publish or await_event/);
    // Every message points into the file.
    for (const f of found) expect(f).toMatch(/^bad\.yaml:\d+:\d+: load\./);
  });

  it('an extracted name is a placeholder only after the step that extracts it, also for event steps', () => {
    const text = base(`  target: broker
  workflows:
    - name: order
      steps:
        - name: booked
          await_event: { subject: order.booked, match: { path: orderId, equals: "\${uuid}" } }
          extract: { bookedSeq: streamSeq }
        - name: next
          publish: { subject: "order.\${bookedSeq}.shipped", body: "\${bookedSeq}" }
        - name: early
          await_event: { subject: order.x, match: { path: id, equals: "\${later}" } }
        - name: late
          publish: { subject: order.y }
          extract: { later: seq }
`);
    const found = issues(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/steps\[2\]\.await_event\.match\.equals: unknown placeholder "\$\{later\}"/);
  });
});

describe('compiling event steps (the driver API)', () => {
  const url = 'nats://127.0.0.1:4222';
  const usage = (fn: () => unknown): string => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(AgentcheckError);
      expect((e as AgentcheckError).code).toBe('usage');
      return (e as Error).message;
    }
    throw new Error('expected a usage error');
  };

  it('refuses what could not run, naming the workflow and step', () => {
    expect(usage(() => compileWorkflow({ name: 'w', steps: [{ name: 's', url: 'http://127.0.0.1:1', publish: { subject: 'a' } }] }))).toMatch(/workflow 'w' step 's': the broker must be a nats:\/\/host:port URL/);
    expect(usage(() => compileWorkflow({ name: 'w', steps: [{ name: 's', url, publish: { subject: 'a b' } }] }))).toMatch(/'a b' is not a subject to publish to/);
    expect(usage(() => compileWorkflow({ name: 'w', steps: [{ name: 's', url, awaitEvent: { subject: 'a.${uuid}', match: { path: 'id', equals: '${uuid}' } } }] }))).toMatch(/cannot hold placeholders/);
    expect(usage(() => compileWorkflow({ name: 'w', steps: [{ name: 's', url, awaitEvent: { subject: 'a', match: { path: 'a..b', equals: 'x' } } }] }))).toMatch(/workflow 'w' step 's' match\.path/);
    expect(usage(() => compileWorkflow({ name: 'w', steps: [{ name: 's', url, awaitEvent: { subject: 'a', match: { path: 'id', equals: '${taskId}' } } }] }))).toMatch(/unknown template variable \$\{taskId\}/);
    expect(usage(() => compileWorkflow({ name: 'w', steps: [{ name: 's', url, publish: { subject: 'a' }, awaitEvent: { subject: 'a', match: { path: 'id', equals: 'x' } } }] }))).toMatch(/not both/);
  });

  it('tells publish subjects from subscribe subjects', () => {
    for (const s of ['order.placed', 'a', 'a-b.c_d.1', '$JS.x']) expect(validSubject(s), s).toBe(true);
    for (const s of ['', 'a..b', '.a', 'a.', 'a b', 'a.*', 'a.>', 'a*']) expect(validSubject(s), s).toBe(false);
    for (const s of ['order.booked', 'order.*', 'order.>', '*', '>', '*.x.>']) expect(validSubscribeSubject(s), s).toBe(true);
    for (const s of ['', 'a..b', 'a.>.b', 'a b', 'a*', 'x>']) expect(validSubscribeSubject(s), s).toBe(false);
  });
});
