import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, setLongTimeout } from '../../src/long-timer.js';
import { parseScenarioText, ScenarioValidationError } from '../../src/scenario/load.js';
import { sleep } from '../../src/scenario/runtimes/wait.js';

/** A valid scenario with `phases` (text after `phases:`) and `extra` appended; agents a and b, edge a->b. */
const scenario = (o: { phases?: string; extra?: string; edgeEnv?: string; agentA?: string } = {}): string => `name: t
agents:
  - name: a
    command: node a.js${o.agentA ?? ''}
  - name: b
    command: node b.js
edges:
  - { from: a, to: b, env: ${o.edgeEnv ?? 'B_URL'} }
phases:
${o.phases ?? '  - { name: p1, duration: 1s }'}
${o.extra ?? ''}`;

function errorsOf(text: string): string[] {
  try {
    parseScenarioText(text, { file: 'bad.yaml', baseDir: '/x' });
    return [];
  } catch (err) {
    if (!(err instanceof ScenarioValidationError)) throw err;
    return err.issues.map((i) => i.text);
  }
}

const fault = (type: string, attributes: string): string => `  - name: p1\n    duration: 1s\n    faults: [{ edge: a->b, type: ${type}, attributes: { ${attributes} } }]`;

describe('only scenarios that can run are accepted', () => {
  it('accepts a 600 h soak phase (waited in chunks) and refuses timeouts above Node\'s timer limit', () => {
    const s = parseScenarioText(scenario({ phases: '  - { name: soak, duration: 600h }' }), { baseDir: '/x' });
    expect(s.phases[0]?.durationMs).toBe(600 * 3_600_000);
    expect(errorsOf(scenario({ phases: '  - { name: soak, duration: 9000h }' }))).toEqual([
      'bad.yaml:10:29: phases[0].duration: got "9000h", expected at most 8760h',
    ]);
    expect(errorsOf(scenario({ agentA: '\n    readiness: { timeout: 600h }' }))).toEqual([
      'bad.yaml:5:27: agents[0].readiness.timeout: got "600h", expected at most 596h31m23s647ms (Node\'s timer limit, 2^31 − 1 ms; a longer timer would fire at once)',
    ]);
    expect(errorsOf(scenario({ agentA: '\n    readiness: { timeout: 596h }' }))).toEqual([]);
  });

  it('refuses a bare-number phase duration under 1000 as a probable missing unit', () => {
    expect(errorsOf(scenario({ phases: '  - { name: p1, duration: 5 }' }))).toEqual([
      'bad.yaml:10:27: phases[0].duration: got 5 — did you mean "5s"? bare numbers are milliseconds, expected a duration with a unit ("5s", or "5ms" if meant)',
    ]);
    expect(errorsOf(scenario({ phases: '  - { name: p1, duration: 5ms }' }))).toEqual([]);
    expect(errorsOf(scenario({ phases: '  - { name: p1, duration: 1500 }' }))).toEqual([]);
  });

  it("refuses reserved names for an edge's env and the runtime's names in an agent's env", () => {
    expect(errorsOf(scenario({ edgeEnv: 'PATH' }))).toEqual([
      'bad.yaml:8:28: edges[0].env: got "PATH", which the edge would replace with the proxy URL in "a"\'s environment, but the caller\'s command and every program it starts are found through it; expected a name of your own such as B_URL',
    ]);
    for (const name of ['PORT', 'HOST', 'NODE_OPTIONS', 'LD_PRELOAD']) expect(errorsOf(scenario({ edgeEnv: name }))[0]).toMatch(/^bad\.yaml:8:28: edges\[0\]\.env: got "/);
    expect(errorsOf(scenario({ agentA: '\n    env: { PORT: 9000, MODE: fast }' }))).toEqual([
      "bad.yaml:5:12: agents[0].env.PORT: got PORT, but the runtime sets it to the agent's port (use the agent's `port` field to choose one), expected other names",
    ]);
    expect(errorsOf(scenario({ agentA: '\n    env: { PATH: /opt/bin, MODE: fast }' }))).toEqual([]);
    // The caller's own env naming the edge's variable would be replaced by the proxy URL.
    expect(errorsOf(scenario({ agentA: '\n    env: { B_URL: http://elsewhere }' }))).toEqual([
      'bad.yaml:9:28: edges[0].env: "B_URL" is also set in agents[0].env, and the edge\'s proxy URL would replace it, expected a distinct variable',
    ]);
  });

  it('refuses attribute values outside the documented ranges, at the attribute', () => {
    expect(errorsOf(scenario({ phases: fault('duplicate', 'copies: 0') }))).toEqual([
      'bad.yaml:12:67: phases[0].faults[0].attributes.copies: got 0, expected a number ≥ 1 and ≤ 100 (0 would mean the default at the proxy API; leave the attribute out for the default)',
    ]);
    expect(errorsOf(scenario({ phases: fault('duplicate', 'copies: 101') }))[0]).toMatch(/copies: got 101, expected a number ≥ 1 and ≤ 100/);
    expect(errorsOf(scenario({ phases: fault('latency', 'latency: -50') }))).toEqual([
      "bad.yaml:12:66: phases[0].faults[0].attributes.latency: got -50, expected a number ≥ 0 and ≤ 2147483647 (milliseconds, up to Node's timer limit)",
    ]);
    expect(errorsOf(scenario({ phases: fault('http_latency', 'latency: 10, jitter: -1') }))[0]).toMatch(/attributes\.jitter: got -1, expected a number ≥ 0/);
    expect(errorsOf(scenario({ phases: fault('http_error', 'status: 0') }))[0]).toMatch(/attributes\.status: got 0, expected a number ≥ 200 and ≤ 599/);
    for (const ok of ['copies: 1', 'copies: 100']) expect(errorsOf(scenario({ phases: fault('duplicate', ok) }))).toEqual([]);
    expect(errorsOf(scenario({ phases: fault('latency', 'latency: 0, jitter: 0') }))).toEqual([]);
  });
});

describe('budgets that cannot get enough samples are refused before any agent starts', () => {
  const load = (extra = ''): string => `load: { target: a, rate: 20${extra}, requests: [{ method: GET, path: /x }] }\n`;
  const phases = '  - { name: baseline, duration: 4s }\n  - { name: long, duration: 10s }';

  it('shows the arithmetic for the first phase that is too short', () => {
    expect(errorsOf(scenario({ phases, extra: `${load()}slo: ["p(99) < 1s"]\n` }))).toEqual([
      'bad.yaml:13:8: slo[0]: p(99) needs 100 events; phase baseline has rate 20 × 4 s = 80, expected a longer phase, a higher rate (the phase\'s load.rate) or a budget that needs fewer events',
    ]);
    expect(errorsOf(scenario({ phases, extra: `${load()}slo: ["error_rate < 1%"]\n` }))[0]).toMatch(/error_rate needs 100 events; phase baseline has rate 20 × 4 s = 80/);
    expect(errorsOf(scenario({ phases, extra: `${load()}slo: ["p(99.9) < 1s"]\n` }))[0]).toMatch(/p\(99\.9\) needs 1000 events; phase baseline has rate 20 × 4 s = 80/);
  });

  it("uses the phase's rate override, the budget's phases, and lets fewer-sample statistics through", () => {
    const faster = '  - { name: baseline, duration: 4s, load: { rate: 30 } }\n  - { name: long, duration: 10s }';
    expect(errorsOf(scenario({ phases: faster, extra: `${load()}slo: ["p(99) < 1s"]\n` }))).toEqual([]);
    expect(errorsOf(scenario({ phases, extra: `${load()}slo: [{ budget: "p(99) < 1s", phases: [long] }, "p(99){phase=long} < 1s"]\n` }))).toEqual([]);
    expect(errorsOf(scenario({ phases, extra: `${load()}slo: ["p(95) < 1s", "avg < 1s", "throughput >= 10/s"]\n` }))).toEqual([]);
    // An edge's count depends on the agents; the closed model's on their speed: neither is judged here.
    expect(errorsOf(scenario({ phases, extra: `${load(', model: closed')}slo: ["p(99) < 1s"]\n` }))).toEqual([]);
    expect(errorsOf(scenario({ phases, extra: `${load()}slo: ["edge.a->b.latency p(99) < 1s"]\n` }))).toEqual([]);
  });

  it('counts only the part of a phase the load covers', () => {
    // 9 s of load: 5 s of the long phase, 100 events: enough.
    expect(errorsOf(scenario({ phases, extra: `${load(', duration: 9s')}slo: [{ budget: "p(99) < 1s", phases: [long] }]\n` }))).toEqual([]);
    expect(errorsOf(scenario({ phases, extra: `${load(', duration: 8s')}slo: [{ budget: "p(99) < 1s", phases: [long] }]\n` }))[0]).toMatch(
      /p\(99\) needs 100 events; phase long has rate 20 × 4 s = 80/,
    );
  });
});

describe('long timers', () => {
  afterEach(() => vi.useRealTimers());

  it('sleeps 600 h when asked, where one setTimeout fires after 1 ms', async () => {
    vi.useFakeTimers();
    const hours = (h: number): number => h * 3_600_000;
    let plain = false;
    setTimeout(() => (plain = true), hours(600)); // what Node does with it: 1 ms
    let woke = false;
    const slept = sleep(hours(600)).then(() => (woke = true));
    await vi.advanceTimersByTimeAsync(5);
    expect(plain).toBe(true);
    await vi.advanceTimersByTimeAsync(hours(599));
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(hours(1));
    await slept;
    expect(woke).toBe(true);
  });

  it('cancels a chunked timer in any chunk', async () => {
    vi.useFakeTimers();
    let fired = false;
    const cancel = setLongTimeout(() => (fired = true), MAX_TIMER_MS * 2.5);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS * 1.5);
    cancel();
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS * 2);
    expect(fired).toBe(false);
  });
});
