/**
 * Waiting for agents, shared by the process and container runtimes: a cancellable sleep and the
 * readiness probes. Every wait takes an AbortSignal and leaves no listener behind.
 */
import net from 'node:net';
import { sleepLong } from '../../long-timer.js';

/**
 * Sleeps `ms`, waking early (without throwing) when `signal` aborts. Any length: phases longer
 * than Node's timer limit (about 596 h) are waited in chunks.
 */
export const sleep = sleepLong;

/** `http://host:port`, with an IPv6 host in brackets. */
export function httpBaseUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** True when `GET url` answers 2xx within a second. */
export async function probeHttp(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await res.arrayBuffer();
    return res.status >= 200 && res.status < 300;
  } catch {
    return false;
  }
}

/** True when a TCP connection to `host:port` opens within a second. */
export async function probeTcp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
