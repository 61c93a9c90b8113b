import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1Pool } from '../../src/load/http1.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise<void>((r) => {
        (server as http.Server).closeAllConnections?.();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

/** A raw TCP server that answers every request (ended by a blank line) with `reply` bytes, optionally in pieces. */
async function rawServer(reply: (n: number) => string, opts: { pieces?: number; closeAfter?: boolean } = {}): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let n = 0;
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      while (buf.includes('\r\n\r\n')) {
        buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
        const text = reply(n++);
        const pieces = opts.pieces ?? 1;
        const size = Math.ceil(text.length / pieces);
        for (let i = 0; i < text.length; i += size) socket.write(text.slice(i, i + size));
        if (opts.closeAfter) socket.end();
      }
    });
  });
  closers.push(async () => {
    for (const s of sockets) s.destroy();
  });
  return { port: await listen(server), connections: () => connections };
}

function send(pool: Http1Pool, path = '/', method = 'GET'): Promise<{ status?: number; error?: string; sent: boolean }> {
  return new Promise((resolve) => {
    pool.send({
      buffer: Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`),
      head: method === 'HEAD',
      done: (status, error, sent) => resolve({ ...(status !== undefined ? { status } : {}), ...(error ? { error: error.code ?? error.message } : {}), sent }),
    });
  });
}

describe('minimal HTTP/1.1 client', () => {
  it('reads Content-Length and chunked bodies from a Node server and reuses the connection', async () => {
    let connections = 0;
    const server = http.createServer((req, res) => {
      if (req.url === '/chunked') {
        res.writeHead(201);
        res.write('a'.repeat(5000));
        setTimeout(() => res.end('bcd'), 5);
      } else if (req.url === '/empty') {
        res.writeHead(204).end();
      } else res.end('hello');
    });
    server.on('connection', () => connections++);
    const port = await listen(server);
    const pool = new Http1Pool('127.0.0.1', port, 4);
    for (const path of ['/', '/chunked', '/empty', '/', '/chunked']) {
      const r = await send(pool, path);
      expect(r.error).toBeUndefined();
    }
    expect((await send(pool, '/chunked')).status).toBe(201);
    expect((await send(pool, '/empty')).status).toBe(204);
    expect((await send(pool, '/', 'HEAD')).status).toBe(200);
    expect(connections).toBe(1);
    pool.destroy();
  });

  it('parses responses split into tiny pieces, with 1xx, chunk extensions and trailers', async () => {
    const body = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n';
    const srv = await rawServer(() => body, { pieces: body.length });
    const pool = new Http1Pool('127.0.0.1', srv.port, 2);
    expect(await send(pool)).toEqual({ status: 200, sent: true });
    expect(await send(pool)).toEqual({ status: 200, sent: true });
    expect(srv.connections()).toBe(1);
    pool.destroy();
  });

  it('reads a body delimited by the connection closing, and honours Connection: close', async () => {
    const srv = await rawServer((n) => (n % 2 === 0 ? 'HTTP/1.0 200 OK\r\n\r\nuntil close' : ''), { closeAfter: true });
    const pool = new Http1Pool('127.0.0.1', srv.port, 2);
    expect(await send(pool)).toEqual({ status: 200, sent: true });
    expect(await send(pool)).toEqual({ status: 200, sent: true });
    expect(srv.connections()).toBe(2);
    const close = await rawServer(() => 'HTTP/1.1 503 Busy\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno');
    const pool2 = new Http1Pool('127.0.0.1', close.port, 2);
    expect((await send(pool2)).status).toBe(503);
    expect((await send(pool2)).status).toBe(503);
    expect(close.connections()).toBe(2);
    pool.destroy();
    pool2.destroy();
  });

  it('reports a connection cut mid-response as sent and a refused connection as not sent', async () => {
    const cut = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort', { closeAfter: true });
    const pool = new Http1Pool('127.0.0.1', cut.port, 2);
    expect(await send(pool)).toEqual({ error: 'ECONNRESET', sent: true });
    const garbage = await rawServer(() => 'SSH-2.0-OpenSSH\r\n\r\n');
    const pool2 = new Http1Pool('127.0.0.1', garbage.port, 2);
    expect((await send(pool2)).error).toBe('HPE_INVALID_CONSTANT');
    const probe = net.createServer();
    const port = await listen(probe);
    await new Promise<void>((r) => probe.close(() => r()));
    const pool3 = new Http1Pool('127.0.0.1', port, 2);
    expect(await send(pool3)).toEqual({ error: 'ECONNREFUSED', sent: false });
    for (const p of [pool, pool2, pool3]) p.destroy();
  });

  it('queues beyond maxSockets and serves the queue in order as sockets free up', async () => {
    const server = http.createServer((req, res) => setTimeout(() => res.end(req.url), 20));
    let connections = 0;
    server.on('connection', () => connections++);
    const port = await listen(server);
    const pool = new Http1Pool('127.0.0.1', port, 2);
    const order: number[] = [];
    await Promise.all(Array.from({ length: 6 }, (_, i) => send(pool, `/${i}`).then((r) => (expect(r.status).toBe(200), order.push(i)))));
    expect(connections).toBe(2);
    expect(order).toHaveLength(6);
    pool.destroy();
  });
});
