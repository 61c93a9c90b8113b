/**
 * Scenario edges of protocol `nats`: the schema and validation accept them with the NATS toxic
 * types and match keys, check NATS toxics' attributes with NATS definitions, and say when a
 * message toxic does not fit its edge's protocol. The caller's env URL is `nats://…`.
 */
import { describe, expect, it } from 'vitest';
import { natsDropToxic } from '../../src/chaos/nats/toxics/drop.js';
import { edgeUrl } from '../../src/scenario/edge-url.js';
import { parseScenarioText, ScenarioValidationError } from '../../src/scenario/load.js';
import { definitionFor, edgeToxicProblem, registryToxicCatalogue } from '../../src/scenario/validate-toxics.js';

const scenario = (edge: string, faults: string) => `name: bus
agents:
  - name: notifier
    command: node notifier.js
  - name: broker
    command: nats-server -js -a 127.0.0.1 -p \${PORT}
edges:
  - ${edge}
phases:
  - name: faults
    duration: 1s
    faults:
${faults}
`;

function issues(text: string): string[] {
  try {
    parseScenarioText(text, { baseDir: '/srv' });
    return [];
  } catch (e) {
    if (e instanceof ScenarioValidationError) return e.issues.map((i) => i.text);
    throw e;
  }
}

describe('nats edges in scenarios', () => {
  it('accepts a nats edge with NATS faults and match keys, and loads it', () => {
    const text = scenario(
      '{ from: notifier, to: broker, env: NATS_URL, protocol: nats }',
      `      - { edge: notifier->broker, type: drop_ack, first: 1, match: { subject: orders.placed, consumer: notifier } }
      - { edge: notifier->broker, type: duplicate, probability: 0.5, attributes: { copies: 2 }, match: { subject: "orders.>", direction: deliver } }
      - { edge: notifier->broker, type: reorder, attributes: { window: 3, window_ms: 200 } }
      - { edge: notifier->broker, type: delay, attributes: { distribution: normal, latency: 50, jitter: 10 } }
      - { edge: notifier->broker, type: latency, attributes: { latency: 5 } }`,
    );
    expect(issues(text)).toEqual([]);
    const loaded = parseScenarioText(text, { baseDir: '/srv' });
    expect(loaded.edges[0]).toMatchObject({ id: 'notifier->broker', protocol: 'nats', env: 'NATS_URL' });
    expect(loaded.phases[0]!.faults.map((f) => [f.type, f.messageLevel])).toEqual([
      ['drop_ack', true],
      ['duplicate', true],
      ['reorder', true],
      ['delay', true],
      ['latency', false],
    ]);
  });

  it('rejects an unknown protocol and a bad NATS attribute at its field', () => {
    expect(issues(scenario('{ from: notifier, to: broker, env: NATS_URL, protocol: amqp }', '      - { edge: notifier->broker, type: latency }')).join('\n')).toContain('edges[0].protocol: got "amqp", expected one of: http, tcp, nats');
    const bad = issues(scenario('{ from: notifier, to: broker, env: NATS_URL, protocol: nats }', '      - { edge: notifier->broker, type: reorder, attributes: { window: 1 } }'));
    expect(bad.join('\n')).toMatch(/:\d+:\d+: phases\[0\]\.faults\[0\]\.attributes\.window: .*'window' must be 2 or more/);
  });

  it('checks NATS toxics with NATS definitions on nats edges, HTTP ones elsewhere', () => {
    expect(definitionFor('drop', 'nats')).toBe(natsDropToxic);
    expect(definitionFor('drop', 'http')?.attributes.map((a) => a.name)).toContain('mode');
    expect(definitionFor('delay', 'nats')?.attributes.map((a) => a.name)).toEqual(expect.arrayContaining(['distribution', 'latency', 'jitter', 'match']));
    const catalogue = registryToxicCatalogue();
    expect(catalogue.types).toEqual(expect.arrayContaining(['delay', 'reorder', 'drop_ack']));
    expect(catalogue.messageLevel.has('drop_ack')).toBe(true);
    const validate = catalogue.validate as (type: string, a: Record<string, unknown>, protocol?: string) => string | undefined;
    expect(validate('drop', { match: { subject: 'a.>.b' } }, 'nats')).toContain("'>' before its last token");
    expect(validate('drop', { match: { subject: 'orders.*' } }, 'nats')).toBeUndefined();
  });

  it('names a message toxic that does not fit its edge protocol, and lets TCP toxics pass', () => {
    expect(edgeToxicProblem('http_error', 'nats', 'a->b')).toContain('acts on HTTP requests but edge "a->b" is nats');
    expect(edgeToxicProblem('reorder', 'http', 'a->b')).toContain('expected protocol: nats on the edge');
    expect(edgeToxicProblem('drop', 'nats', 'a->b')).toBeUndefined();
    expect(edgeToxicProblem('drop', 'http', 'a->b')).toBeUndefined();
    expect(edgeToxicProblem('latency', 'nats', 'a->b')).toBeUndefined();
  });

  it('refuses a message toxic of the wrong protocol at the fault type, with file:line:col', () => {
    const onNats = issues(scenario('{ from: notifier, to: broker, env: NATS_URL, protocol: nats }', '      - { edge: notifier->broker, type: http_error, attributes: { status: 503 } }'));
    expect(onNats).toHaveLength(1);
    expect(onNats[0]).toMatch(/^<scenario>:13:41: phases\[0\]\.faults\[0\]\.type: "http_error" acts on HTTP requests but edge "notifier->broker" is nats/);
    const onHttp = issues(scenario('{ from: notifier, to: broker, env: NATS_URL }', '      - { edge: notifier->broker, type: reorder, attributes: { window: 3 } }'));
    expect(onHttp).toHaveLength(1);
    expect(onHttp[0]).toMatch(/^<scenario>:13:41: phases\[0\]\.faults\[0\]\.type: "reorder" acts on NATS messages but edge "notifier->broker" is http/);
    // drop on a nats edge is checked as the NATS drop: the HTTP drop's `mode` is not one of its attributes.
    const natsDrop = issues(scenario('{ from: notifier, to: broker, env: NATS_URL, protocol: nats }', '      - { edge: notifier->broker, type: drop, attributes: { mode: reset } }'));
    expect(natsDrop.join('\n')).toMatch(/faults\[0\]\.attributes\.mode: unknown attribute of "drop"/);
    expect(issues(scenario('{ from: notifier, to: broker, env: NATS_URL }', '      - { edge: notifier->broker, type: drop, attributes: { mode: reset } }'))).toEqual([]);
  });

  it('gives the caller a nats:// URL on nats edges, http:// elsewhere', () => {
    expect(edgeUrl({ protocol: 'nats' }, '127.0.0.1:4333')).toBe('nats://127.0.0.1:4333');
    expect(edgeUrl({ protocol: 'http' }, '127.0.0.1:4333')).toBe('http://127.0.0.1:4333');
    expect(edgeUrl({ protocol: 'tcp' }, '127.0.0.1:4333')).toBe('http://127.0.0.1:4333');
  });
});
