/** Game-day test helpers: a two-agent team on the runner's relay fixture, and game-day files written to a temp folder. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const RELAY = path.resolve(__dirname, '../runner/fixtures/relay-agent.mjs');
export const MARK = path.resolve(__dirname, 'fixtures/mark.mjs');

/** A temp folder with `team.yaml` (front -> back relay agents, load `rate`/s on front) and `gameday.yaml` = `body`. */
export function gamedayDir(body: string, rate = 40): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentcheck-gameday-'));
  writeFileSync(
    path.join(dir, 'team.yaml'),
    `name: relay-team
agents:
  - { name: front, command: node ${JSON.stringify(RELAY)}, readiness: { http: /healthz } }
  - { name: back, command: node ${JSON.stringify(RELAY)}, readiness: { http: /healthz } }
edges: [{ from: front, to: back, env: PEER_URL }]
load: { target: front, rate: ${rate}, requests: [{ method: GET, path: /work }] }
phases: [{ name: unused, duration: 1s }]
`,
  );
  const file = path.join(dir, 'gameday.yaml');
  writeFileSync(file, body);
  return { dir, file };
}
