/**
 * Process identity (pid + start time) and the run registry's files: what cleanup's "is the
 * owner alive?" rests on.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processStartTime, processState, selfIdentity, startTimeFromStat } from '../../src/reaper/proc.js';
import { readRunRecords, resourceKey, runsDir, stateDir, writeRunRecord, type RunRecord } from '../../src/reaper/registry.js';
import { tempBase } from './listing.js';

describe('process identity', () => {
  it('reads the start time after any command name, even one holding spaces and parentheses', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 15 }).filter((s) => !s.includes('\n')), fc.nat(), fc.array(fc.nat(), { minLength: 30, maxLength: 40 }), (comm, start, rest) => {
        const fields = ['S', ...rest.slice(0, 18).map(String), String(start), ...rest.slice(18).map(String)];
        expect(startTimeFromStat(`1234 (${comm}) ${fields.join(' ')}\n`.trimEnd())).toBe(String(start));
      }),
    );
    expect(startTimeFromStat('1 (x) S 0')).toBeUndefined();
  });

  it('knows this process is alive, and a pid with another start time is not the same process', () => {
    const me = selfIdentity();
    expect(me.start).toBe(processStartTime(process.pid));
    expect(processState(me)).toBe('alive');
    expect(processState({ ...me, start: '1' })).toBe('gone');
    expect(processState({ ...me, host: `${os.hostname()}-elsewhere` })).toBe('unknown');
  });

  it('knows an exited process is gone', async () => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    const id = { pid: child.pid!, host: os.hostname() };
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 50)); // reaped
    expect(processState(id)).toBe('gone');
  });
});

describe('the run registry', () => {
  it('takes the state dir from AGENTCHECK_STATE_DIR, then XDG_STATE_HOME, then ~/.local/state', () => {
    expect(stateDir({ AGENTCHECK_STATE_DIR: '/x/s', XDG_STATE_HOME: '/y' })).toBe('/x/s');
    expect(stateDir({ XDG_STATE_HOME: '/y' })).toBe('/y/agentcheck');
    expect(stateDir({})).toBe(path.join(os.homedir(), '.local/state/agentcheck'));
    expect(runsDir({ AGENTCHECK_STATE_DIR: '/x/s' })).toBe('/x/s/runs');
  });

  it('writes and reads back run files, and names a file it cannot use instead of skipping it silently', () => {
    const dir = path.join(tempBase('agentcheck-registry-'), 'runs');
    const record: RunRecord = {
      version: 1,
      runId: 'r1',
      command: 'agentcheck scenario run x.yaml',
      owner: selfIdentity(),
      createdAt: new Date().toISOString(),
      resources: {},
    };
    const resources = [
      { kind: 'process-group', pgid: 42, start: '7', name: 'a' },
      { kind: 'docker-run', runId: 'abc', connection: { socketPath: '/var/run/docker.sock' } },
      { kind: 'toxic', api: 'http://127.0.0.1:8474', proxy: 'p', toxic: 't' },
    ] as const;
    for (const r of resources) record.resources[resourceKey(r)] = r;
    writeRunRecord(path.join(dir, 'r1.json'), record);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'broken.json'), '{"version": 1');
    writeFileSync(path.join(dir, 'other.json'), '{"hello": 1}');
    writeFileSync(path.join(dir, 'r1.watchdog.log'), 'not a run file');
    const read = readRunRecords(dir);
    expect(read.map((r) => path.basename(r.file))).toEqual(['broken.json', 'other.json', 'r1.json']);
    expect(read[2]).toEqual({ file: path.join(dir, 'r1.json'), record });
    expect('error' in read[0]! && read[0].error).toBeTruthy();
    expect('error' in read[1]! && read[1].error).toMatch(/not an agentcheck run file/);
    expect(new Set(resources.map(resourceKey)).size).toBe(3);
  });
});
