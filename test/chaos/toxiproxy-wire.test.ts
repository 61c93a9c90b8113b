/**
 * The API on the wire, byte for byte (status line, every header in order, framing, body) against
 * Toxiproxy 2.7.0's answers in fixtures/toxiproxy-2.7.0-api.json. Where those bytes come from is
 * stated in the file ("provenance") and per transcript ("source"): written out from Toxiproxy's and
 * Go net/http's sources, as no Toxiproxy binary was available to record them. Where one is installed,
 * the same transcripts also run against it, checking the fixtures themselves. Only the volatile values
 * are normalised, after checking their shape: the Date value and the request id.
 * Each transcript runs on one kept-alive connection to a fresh server.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startProxyServer, type ProxyServer } from '../../src/chaos/server.js';
import { dial, RawResponses } from './helpers.js';

interface Step {
  request: { method: string; path: string; version?: string; body?: string; headers?: Record<string, string> };
  response: string;
  closes?: boolean;
}
interface Transcript {
  name: string;
  source: string;
  steps: Step[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/toxiproxy-2.7.0-api.json', import.meta.url), 'utf8')) as {
  provenance: string;
  transcripts: Transcript[];
};

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A loopback port with 5 digits (the fixtures' Content-Length values assume 5), held or released. */
async function fiveDigitPort(hold: boolean): Promise<number> {
  for (;;) {
    const server: Server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    if (port >= 10000 && hold) {
      cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
      return port;
    }
    await new Promise<void>((r) => server.close(() => r()));
    if (port >= 10000) return port;
  }
}

const DATE = /\r\nDate: ((Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT)\r\n/;
const ID = /\r\nX-Toxiproxy-Request-Id: ([0-9a-v]{20})\r\n/;

function normalise(raw: string): string {
  return raw.replace(DATE, '\r\nDate: <date>\r\n').replace(ID, '\r\nX-Toxiproxy-Request-Id: <request-id>\r\n');
}

function requestBytes(step: Step, host: string, fill: (s: string) => string): string {
  const { method, path, version = '1.1', body, headers = {} } = step.request;
  const lines = [`${method} ${path} HTTP/${version}`, `Host: ${host}`];
  const all: Record<string, string> = { 'User-Agent': 'agentcheck-fixture', ...headers };
  for (const [k, v] of Object.entries(all)) lines.push(`${k}: ${v}`);
  const payload = body === undefined ? '' : fill(body);
  if (body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(payload)}`);
  return `${lines.join('\r\n')}\r\n\r\n${payload}`;
}

/** Plays `transcript` on one connection to the API at `apiPort`, comparing every answer. */
async function play(transcript: Transcript, apiPort: number): Promise<void> {
  const port1 = await fiveDigitPort(false);
  const blocked = await fiveDigitPort(true);
  const fill = (s: string) => s.replaceAll('{port1}', String(port1)).replaceAll('{blocked}', String(blocked));
  const socket = await dial(apiPort);
  cleanups.push(() => socket.destroy());
  const responses = new RawResponses(socket);
  for (const step of transcript.steps) {
    socket.write(requestBytes(step, `127.0.0.1:${apiPort}`, fill));
    const raw = await responses.next(step.request.method);
    const label = `${transcript.name}: ${step.request.method} ${step.request.path}`;
    // The volatile values have Go's shape before they are blanked out.
    if (step.response.includes('\r\nDate: <date>\r\n')) expect(raw, label).toMatch(DATE);
    if (step.response.includes('<request-id>')) expect(raw, label).toMatch(ID);
    else expect(raw, label).not.toMatch(/X-Toxiproxy-Request-Id/i);
    expect(normalise(raw), label).toBe(fill(step.response));
    if (step.closes) {
      await responses.whenClosed();
      expect(responses.isClosed).toBe(true);
    }
  }
  // Every answer without Connection: close left the connection open for the next request.
  if (!transcript.steps.some((s) => s.closes)) expect(responses.isClosed).toBe(false);
}

describe('Toxiproxy 2.7.0 answers, byte for byte', () => {
  it('the fixture file says where its bytes come from', () => {
    expect(fixture.provenance).toMatch(/not captures/);
    for (const t of fixture.transcripts) expect(t.source.length, t.name).toBeGreaterThan(20);
  });

  for (const transcript of fixture.transcripts) {
    it(transcript.name, async () => {
      const server: ProxyServer = await startProxyServer({ port: 0 });
      cleanups.push(() => server.close());
      await play(transcript, server.port);
    });
  }
});

// The fixtures themselves, checked against a real Toxiproxy when one is installed
// (TOXIPROXY_SERVER=/path/to/toxiproxy-server, or toxiproxy-server on PATH).
const toxiproxyBinary =
  process.env.TOXIPROXY_SERVER ??
  (process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'toxiproxy-server')).find((f) => existsSync(f));

describe.skipIf(toxiproxyBinary === undefined)('the fixtures against a live toxiproxy-server (skipped: none installed)', () => {
  for (const transcript of fixture.transcripts) {
    it(transcript.name, async () => {
      const apiPort = await fiveDigitPort(false);
      const child = spawn(toxiproxyBinary!, ['-host', '127.0.0.1', '-port', String(apiPort)], { stdio: 'ignore' });
      cleanups.push(() => child.kill('SIGKILL'));
      for (let i = 0; ; i++) {
        const up = await dial(apiPort).then((s) => (s.destroy(), true), () => false);
        if (up) break;
        if (i > 100) throw new Error('toxiproxy-server did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
      await play(transcript, apiPort);
    });
  }
});
