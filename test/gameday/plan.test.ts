/**
 * `gameday plan` starts nothing: no child process, no listening socket (checked in /proc: this
 * process's own sockets and children, before and after), and still says the whole blast radius.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGameDayFile } from '../../src/gameday/load.js';
import { planGameDay, planLines } from '../../src/gameday/plan.js';
import { gamedayDir } from './helpers.js';

/** Inodes of this process's sockets that are listening (TCP state 0A), from /proc. */
function ownListeners(): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const out: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && inodes.has(cols[9]!)) out.push(cols[9]!);
    }
  }
  return out.sort();
}

/** Pids of this process's children, from /proc. */
function ownChildren(): string[] {
  return readdirSync('/proc/self/task')
    .flatMap((t) => readFileSync(`/proc/self/task/${t}/children`, 'utf8').trim().split(/\s+/))
    .filter(Boolean)
    .sort();
}

const FILE = `name: plan
team: { scenario: team.yaml }
experiments:
  - name: slow
    hypothesis: { slo: [ "avg < 2s" ], recovery: { within: 2s } }
    steady_state: { duration: 2s }
    method:
      load: { rate: 15 }
      phases:
        - { name: slow, duration: 3s, faults: [{ edge: front->back, type: latency, attributes: { latency: 50 } }] }
    abort: [ "error_rate > 20% over 5s" ]
    rollback: [ "node -e 0" ]
`;

describe('gameday plan', () => {
  it('prints the blast radius and starts no process and no listener', async () => {
    const { file } = gamedayDir(FILE);
    const listeners = ownListeners();
    const children = ownChildren();
    const plan = planGameDay(await loadGameDayFile(file));
    const lines = planLines(plan);
    expect(ownListeners()).toEqual(listeners);
    expect(ownChildren()).toEqual(children);
    expect(plan.experiments[0]).toMatchObject({ name: 'slow', team: 'shared', edges: ['front->back'], load: { target: 'front', rate: 15 }, abort: ['error_rate > 20% over 5s'], rollback: ['node -e 0'] });
    expect(plan.experiments[0]!.phases.map((p) => [p.name, p.durationMs])).toEqual([
      ['steady-state', 2000],
      ['slow', 3000],
      ['after', 4000],
    ]);
    const text = lines.join('\n');
    expect(text).toContain('latency on front->back {"latency":50}');
    expect(text).toContain('gate: budget avg < 2s');
    expect(text).toContain('gate: recovery within 2s');
    expect(text).toContain('abort when: error_rate > 20% over 5s');
  });

  it('through the CLI: exit 0, the plan on stdout, and no agent ever ran (nothing in the logs folder)', () => {
    const { dir, file } = gamedayDir(FILE);
    const bin = path.resolve(__dirname, '../../bin/agentcheck.js');
    const r = spawnSync(process.execPath, [bin, 'gameday', 'plan', file, '--json'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).experiments[0].edges).toEqual(['front->back']);
    expect(readdirSync(dir).sort()).toEqual(['gameday.yaml', 'team.yaml']);
  });
});
