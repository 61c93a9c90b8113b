/**
 * The drive stage's abort condition, the game day's safety net: checked continuously in-process,
 * it ends the timeline and the faults are gone within 1 s of the condition becoming true, as seen
 * through the proxy's own API (polled by the test, not read from agentcheck's log).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startProxyServer } from '../../src/chaos/server.js';
import { parseScenarioText } from '../../src/scenario/load.js';
import { createRunContext } from '../../src/scenario/stages/context.js';
import { driveStage, type DriveAction } from '../../src/scenario/stages/drive.js';
import { MemoryEvidence } from '../../src/scenario/stages/evidence.js';
import { startStage, stopStarted } from '../../src/scenario/stages/start.js';

const relay = JSON.stringify(path.resolve(__dirname, 'fixtures/relay-agent.mjs'));

async function toxicsOn(apiUrl: string, proxy: string): Promise<string[]> {
  const res = await fetch(`${apiUrl}/proxies/${proxy}/toxics`);
  return ((await res.json()) as Array<{ name: string }>).map((t) => t.name);
}

describe('abort conditions in the drive stage', () => {
  it('ends the timeline and removes the faults within 1 s of the condition becoming true', async () => {
    await using proxy = await startProxyServer({ port: 0 });
    const scenario = parseScenarioText(
      `name: abort
agents:
  - { name: front, command: node ${relay}, readiness: { http: /healthz } }
  - { name: back, command: node ${relay}, readiness: { http: /healthz } }
edges: [{ from: front, to: back, env: PEER_URL }]
load: { target: front, rate: 50, requests: [{ method: GET, path: /work }] }
phases:
  - { name: calm, duration: 1s }
  - { name: broken, duration: 20s, faults: [{ edge: front->back, type: reset_peer, attributes: { timeout: 0 } }] }
  - { name: never, duration: 5s }
`,
      { baseDir: process.cwd() },
    );
    const ctx = createRunContext(scenario, { outDir: mkdtempSync(path.join(os.tmpdir(), 'agentcheck-abort-')), toxiproxyUrl: proxy.url });
    const started = await startStage(ctx);
    const actions: DriveAction[] = [];
    let firedAt: number | undefined;
    let goneAfterMs: number | undefined;
    try {
      const t0 = performance.now();
      const driven = await driveStage(ctx, started, new MemoryEvidence(), {
        abortWhen: (live) => {
          const w = live.window(500);
          return live.phase === 'broken' && w.requests >= 10 && w.errorRate > 0.5 ? `error rate ${Math.round(w.errorRate * 100)} % over 500 ms` : undefined;
        },
        onAction: (a) => {
          actions.push(a);
          if (a.kind === 'abort' && firedAt === undefined) {
            firedAt = performance.now();
            // Watch the proxy's API from the outside until the toxic is gone.
            void (async () => {
              while ((await toxicsOn(proxy.url, 'front_to_back')).length > 0) await new Promise((r) => setTimeout(r, 20));
              goneAfterMs = performance.now() - firedAt!;
            })();
          }
        },
      });
      const elapsed = performance.now() - t0;
      expect(driven.abortedBy?.reason).toMatch(/error rate \d+ % over 500 ms/);
      expect(driven.completed).toBe(false);
      // It stopped long before the 20 s phase would have ended, and never reached 'never'.
      expect(elapsed).toBeLessThan(15_000);
      expect(actions.map((a) => a.kind)).toEqual(['phase', 'phase', 'faults-applied', 'abort', 'faults-removed']);
      expect(driven.abortedBy!.faultsRemovedAtMs - driven.abortedBy!.atMs).toBeLessThan(1000);
      while (goneAfterMs === undefined) await new Promise((r) => setTimeout(r, 20));
      expect(goneAfterMs).toBeLessThan(1000);
      expect(await toxicsOn(proxy.url, 'front_to_back')).toEqual([]);
    } finally {
      await stopStarted(started);
    }
  }, 40_000);
});
