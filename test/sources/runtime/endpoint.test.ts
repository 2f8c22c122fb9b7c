// Runtime endpoint selection against real sockets under a host root: each way an endpoint cannot be
// used (missing, not a socket, refusing, silent, HTTP, gRPC without CRI, not unix) gets its sentence,
// an explicit --runtime-endpoint that fails is marked for exit 1, and the default order is reported.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostRoot } from '../../../src/sources/host/root.js';
import { DEFAULT_ENDPOINTS, readRuntime } from '../../../src/sources/runtime/endpoint.js';

const CONTAINERD = '/run/containerd/containerd.sock';
let dir: string;
const closers: (() => Promise<void>)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'podmortem-ep-'));
});
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  rmSync(dir, { recursive: true, force: true });
});

function at(hostPath: string): string {
  const p = join(dir, hostPath);
  mkdirSync(dirname(p), { recursive: true });
  return p;
}

function listen<S extends HttpServer | NetServer>(server: S, path: string): Promise<S> {
  return new Promise((res) => {
    server.listen(path, () => res(server));
    closers.push(() => new Promise((r) => server.close(() => r())));
  });
}

describe('readRuntime endpoint sentences', () => {
  it('a missing path: the explicit endpoint fails with the path it looked for', async () => {
    const sel = await readRuntime(new HostRoot(dir), { endpoint: `unix://${CONTAINERD}` });
    expect(sel.read).toBeUndefined();
    expect(sel.tried).toEqual([`unix://${CONTAINERD}`]);
    expect(sel.explicitFailed).toBe(
      `--runtime-endpoint unix://${CONTAINERD}: no socket at ${CONTAINERD} under ${dir}.`,
    );
  });

  it('a regular file where the socket should be', async () => {
    writeFileSync(at(CONTAINERD), 'not a socket');
    const sel = await readRuntime(new HostRoot(dir), { endpoint: `unix://${CONTAINERD}` });
    expect(sel.explicitFailed).toBe(
      `--runtime-endpoint unix://${CONTAINERD}: ${CONTAINERD} is a regular file, not a runtime's socket.`,
    );
  });

  it('a socket nobody listens on (its server was killed) refuses', async () => {
    const path = at(CONTAINERD);
    // A killed process leaves its socket file behind: the state of a crashed runtime.
    const r = spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    expect(r.signal).toBe('SIGKILL');
    expect(existsSync(path)).toBe(true);
    const sel = await readRuntime(new HostRoot(dir), { endpoint: `unix://${CONTAINERD}` });
    expect(sel.explicitFailed).toBe(
      `--runtime-endpoint unix://${CONTAINERD}: nothing is listening on the socket (connection refused); is the runtime running?`,
    );
  });

  it('an HTTP server on the socket is not CRI', async () => {
    await listen(
      createHttpServer((_req, res) => res.writeHead(404).end('no')),
      at(CONTAINERD),
    );
    const sel = await readRuntime(new HostRoot(dir), { endpoint: `unix://${CONTAINERD}` });
    expect(sel.explicitFailed).toBe(
      `--runtime-endpoint unix://${CONTAINERD}: answers HTTP/1.1 (status 404), not gRPC: it is not a CRI runtime.`,
    );
  });

  it('a gRPC server without the CRI service', async () => {
    const server = new grpc.Server();
    const path = at(CONTAINERD);
    await new Promise<void>((res, rej) =>
      server.bindAsync(`unix://${path}`, grpc.ServerCredentials.createInsecure(), (e) =>
        e ? rej(e) : res(),
      ),
    );
    closers.push(() => new Promise((r) => server.tryShutdown(() => r())));
    const sel = await readRuntime(new HostRoot(dir), { endpoint: `unix://${CONTAINERD}` });
    expect(sel.explicitFailed).toMatch(
      new RegExp(`^--runtime-endpoint unix://${CONTAINERD}: answers gRPC but not the CRI runtime.v1 API`),
    );
  });

  it('a socket that accepts and never answers is given up on, not waited for', async () => {
    const held: import('node:net').Socket[] = [];
    const server = createNetServer((s) => held.push(s));
    await listen(server, at(CONTAINERD));
    closers.unshift(async () => held.forEach((s) => s.destroy()));
    const sel = await readRuntime(new HostRoot(dir), { endpoint: `unix://${CONTAINERD}` });
    expect(sel.explicitFailed).toBe(
      `--runtime-endpoint unix://${CONTAINERD}: accepted the connection but did not answer a CRI Version call within 3 s.`,
    );
  });

  it('an endpoint that is not a unix socket', async () => {
    const sel = await readRuntime(new HostRoot(dir), { endpoint: 'tcp://127.0.0.1:1234' });
    expect(sel.tried).toEqual([]);
    expect(sel.explicitFailed).toMatch(
      /^--runtime-endpoint tcp:\/\/127.0.0.1:1234: only unix sockets are supported/,
    );
  });

  it('with no endpoint, every default is tried in crictl order and the report says so', async () => {
    // containerd's path holds a Docker-like HTTP server: skipped with its sentence; the others are
    // simply absent, which the closing sentence covers by listing every path tried.
    await listen(
      createHttpServer((_req, res) => res.writeHead(200, { 'Api-Version': '1.41' }).end('OK')),
      at(CONTAINERD),
    );
    const sel = await readRuntime(new HostRoot(dir));
    expect(sel.read).toBeUndefined();
    expect(sel.explicitFailed).toBeUndefined();
    expect(sel.tried).toEqual(DEFAULT_ENDPOINTS.map((e) => `unix://${e.path}`));
    expect(sel.problems).toEqual([
      `unix://${CONTAINERD}: is a Docker Engine socket, not a CRI runtime.`,
      `No container runtime answered (tried ${sel.tried.join(', ')} under ${dir}); exit codes and OOMKilled come from the log folder only. Name the runtime's socket with --runtime-endpoint.`,
    ]);
  });
});
