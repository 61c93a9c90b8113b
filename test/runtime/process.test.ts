import { afterEach, describe, expect, it } from 'vitest';
import { AgentcheckError } from '../../src/errors.js';
import { liveProcessGroups, startProcessAgent, type StartedAgent } from '../../src/scenario/runtimes/process.js';

const started: StartedAgent[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((a) => a.stop()));
});

import { readFileSync } from 'node:fs';

/** Alive and not a zombie (an orphan waiting for init to reap it is already dead for our purposes). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

const server = `require('http').createServer((q,s)=>{s.end(q.url==='/healthz'?'ok':'x')}).listen(+process.env.PORT, process.env.HOST, ()=>console.log('listening'))`;

describe('process runtime', () => {
  it('starts an agent on an allocated port, waits for readiness and captures its output', async () => {
    const agent = await startProcessAgent({ name: 'a', command: ['node', '-e', server] });
    started.push(agent);
    expect(agent.port).toBeGreaterThan(0);
    const res = await fetch(`${agent.url}/healthz`);
    expect(await res.text()).toBe('ok');
    await new Promise((r) => setTimeout(r, 50));
    expect(agent.logTail()).toContain('listening');
  });

  it('stops the whole process group, grandchildren included', async () => {
    // The agent spawns a long-lived grandchild and prints its pid.
    const script = `const c=require('child_process').spawn('sleep',['60'],{stdio:'ignore'});console.log('child '+c.pid);${server}`;
    const agent = await startProcessAgent({ name: 'parent', command: ['node', '-e', script] });
    started.push(agent);
    await new Promise((r) => setTimeout(r, 100));
    const childPid = Number(/child (\d+)/.exec(agent.logTail())?.[1]);
    expect(childPid).toBeGreaterThan(0);
    expect(alive(childPid)).toBe(true);
    await agent.stop();
    // Give the kernel a moment to reap.
    for (let i = 0; i < 50 && alive(childPid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(childPid)).toBe(false);
    expect(alive(agent.pid)).toBe(false);
    expect(liveProcessGroups()).not.toContain(agent.pid);
  });

  it('fails with exit-3 error and the log tail when the agent is never ready, and leaves nothing behind', async () => {
    const err = await startProcessAgent({
      name: 'sleepy',
      command: ['node', '-e', `console.log('booting but never listening'); setInterval(()=>{}, 1000)`],
      readiness: { http: '/healthz', timeoutMs: 600 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    const e = err as AgentcheckError;
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/agent 'sleepy' was not ready after 600 ms/);
    expect(e.message).toContain('booting but never listening');
    expect(liveProcessGroups()).toEqual([]);
  });

  it('reports an agent that exits before it is ready', async () => {
    const err = await startProcessAgent({ name: 'crash', command: 'echo boom >&2; exit 7' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentcheckError);
    expect((err as AgentcheckError).message).toMatch(/agent 'crash' exited with 7 before it was ready/);
    expect((err as AgentcheckError).message).toContain('boom');
  });

  it('supports a TCP readiness check', async () => {
    const tcp = `require('net').createServer(s=>s.end()).listen(+process.env.PORT, process.env.HOST)`;
    const agent = await startProcessAgent({ name: 't', command: ['node', '-e', tcp], readiness: { tcp: true } });
    started.push(agent);
    expect(agent.hasExited).toBe(false);
  });
});
