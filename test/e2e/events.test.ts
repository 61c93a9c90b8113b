/**
 * End-to-end: the real CLI on the event-driven path of the reference team (scenarios/events*.yaml):
 * nats-server started as a scenario agent, a JetStream publisher and a durable push consumer
 * behind nats edges, lost acks and duplicated deliveries. The de-duplicating consumer passes
 * exactly_once; the `--mode no-dedup` consumer fails it, naming the orders booked twice. Needs
 * `npm run build` first and nats-server on PATH (CI installs it).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { natsSkipReason } from '../chaos/nats/helpers.js';
import { runScenarioCli, scenarioBrokers } from './scenario-cli.js';

const skip = natsSkipReason();
/** 8 s of phases plus three agent starts and the warm-up, on a loaded machine. */
const RUN_TIMEOUT_MS = 180_000;
const run = runScenarioCli;
const brokers = scenarioBrokers;

describe.skipIf(skip !== null)('event-driven scenarios through the CLI', { timeout: RUN_TIMEOUT_MS * 2 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-events-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes exactly_once with the de-duplicating consumer under lost acks and duplicates', async () => {
    const before = new Set(brokers());
    const r = await run('events.yaml', path.join(dir, 'good'));
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const inv = r.report.invariants.find((i: any) => i.name === 'one booking per order');
    expect(inv.status).toBe('pass');
    const ledger = r.report.edges.find((e: any) => e.edge === 'ledger->broker');
    expect(ledger.protocol).toBe('nats');
    expect(ledger.faultsFired.drop_ack).toBeGreaterThan(0);
    const placed = ledger.subjects.find((s: any) => s.subject === 'order.placed');
    // The faults were exercised: acks lost, JetStream redelivered, copies delivered.
    expect(placed.acksDropped).toBeGreaterThan(0);
    expect(placed.redeliveries).toBeGreaterThan(0);
    expect(placed.delivered).toBeGreaterThan(placed.redeliveries);
    const published = r.report.edges.find((e: any) => e.edge === 'orders->broker').subjects.find((s: any) => s.subject === 'order.placed');
    expect(published.published).toBeGreaterThan(0);
    expect(readFileSync(path.join(dir, 'good', 'summary.md'), 'utf8')).toContain('Subjects');
    // The journal of the nats edge is saved with the run, for --replay.
    expect(readFileSync(path.join(dir, 'good', 'journal.ndjson'), 'utf8')).toContain('"edge":"ledger->broker"');
    expect(brokers().filter((pid) => !before.has(pid))).toEqual([]);
  });

  it('fails the consumer that is not idempotent under redelivery, naming the orders booked twice', async () => {
    const r = await run('events-no-dedup.yaml', path.join(dir, 'variant'));
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(1);
    const inv = r.report.invariants.find((i: any) => i.name === 'one booking per order');
    expect(inv.status).toBe('fail');
    expect(inv.finding).toMatch(/duplicated: \d+ keys? applied more than once: [0-9a-f-]{36} \(×\d\)/);
    expect(inv.details.duplicated.length).toBeGreaterThan(0);
    expect(r.stdout).toContain('FAIL');
  });
});
