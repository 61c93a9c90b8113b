/**
 * Process identity on this machine: a pid alone can be reused once its process is gone, so a
 * process is named by its pid AND its start time (field 22 of `/proc/<pid>/stat`, in clock ticks
 * since boot). Where `/proc` is missing (not Linux) the start time is unknown and only the pid is
 * checked, which is weaker and documented as such (docs/cleanup.md).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** A process as the registry records it. */
export interface ProcessIdentity {
  pid: number;
  /** `/proc/<pid>/stat` start time; absent when it could not be read. */
  start?: string;
  /** The machine it runs on (pids of another host cannot be checked). */
  host: string;
}

/** Field 22 (start time) of a `/proc/<pid>/stat` line, or undefined when the line is too short. */
export function startTimeFromStat(stat: string): string | undefined {
  // The command name (field 2) is in parentheses and may itself contain spaces and ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

/** The start time of `pid` from `/proc/<pid>/stat`, or undefined when the process (or /proc) does not exist. */
export function processStartTime(pid: number): string | undefined {
  try {
    return startTimeFromStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when `pid` names a running process (a zombie counts as gone). */
function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return signalZero(pid);
    return existsProc() ? false : signalZero(pid);
  }
}

let procMounted: boolean | undefined;
function existsProc(): boolean {
  procMounted ??= processStartTime(process.pid) !== undefined;
  return procMounted;
}

function signalZero(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This process's identity. */
export function selfIdentity(): ProcessIdentity {
  const start = processStartTime(process.pid);
  return { pid: process.pid, host: os.hostname(), ...(start ? { start } : {}) };
}

/** The identity of another process of this machine (read right after it was spawned). */
export function identityOf(pid: number): ProcessIdentity {
  const start = processStartTime(pid);
  return { pid, host: os.hostname(), ...(start ? { start } : {}) };
}

/**
 * Whether the process `id` names is still running: `alive`, `gone` (exited, or its pid now
 * belongs to a process with another start time), or `unknown` (it ran on another host).
 */
export function processState(id: ProcessIdentity): 'alive' | 'gone' | 'unknown' {
  if (id.host !== os.hostname()) return 'unknown';
  if (!pidAlive(id.pid)) return 'gone';
  if (id.start === undefined) return 'alive';
  const now = processStartTime(id.pid);
  return now === undefined || now === id.start ? 'alive' : 'gone';
}
