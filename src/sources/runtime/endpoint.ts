// Which container runtime to ask, as crictl chooses: `--runtime-endpoint unix:///path`, or with none
// the usual sockets in crictl's order (containerd, CRI-O, cri-dockerd; kubernetes-sigs/cri-tools:
// cmd/crictl/main.go defaultRuntimeEndpoints), then the Docker Engine socket of dockershim-era
// nodes. Every path is resolved under the host root. A path that is missing, is not a socket,
// refuses, stays silent or speaks something other than CRI gets one sentence; the first endpoint
// that answers is read. An explicit endpoint that cannot be used is returned as `explicitFailed`
// (the CLI exits 1 with it) instead of falling back to another runtime behind the user's back.
import { connect } from 'node:net';
import { request } from 'node:http';
import type { HostRoot } from '../host/root.js';
import { readDocker } from './docker.js';
import type { RuntimeRead } from './types.js';

export type EndpointKind = 'cri' | 'docker';

/** Tried in this order when no endpoint is given, each under the host root. */
export const DEFAULT_ENDPOINTS: readonly { path: string; kind: EndpointKind }[] = [
  { path: '/run/containerd/containerd.sock', kind: 'cri' },
  { path: '/run/crio/crio.sock', kind: 'cri' },
  { path: '/var/run/cri-dockerd.sock', kind: 'cri' },
  { path: '/var/run/docker.sock', kind: 'docker' },
];

/** Deadline of the first call that tells whether a socket speaks CRI. */
const PROBE_MS = 3000;

export interface RuntimeSelection {
  /** What the endpoint that answered recorded; undefined when none could be used. */
  read?: RuntimeRead;
  /** Every endpoint tried, in order, as the user names them (unix:///run/containerd/containerd.sock). */
  tried: string[];
  /** One sentence per endpoint that could not be used (and whatever the one used could not read). */
  problems: string[];
  /** Set when --runtime-endpoint was given and could not be used: its sentence, for an exit status of 1. */
  explicitFailed?: string;
}

export interface RuntimeOptions {
  /** --runtime-endpoint: unix:///path (crictl's form) or an absolute path. */
  endpoint?: string;
}

/** The socket path of `unix:///path` or `/path`; a sentence for anything else (tcp://, npipe://, relative). */
export function parseEndpoint(endpoint: string): { path: string } | { problem: string } {
  const m = /^unix:\/\/(\/.*)$/.exec(endpoint) ?? /^unix:(\/.*)$/.exec(endpoint) ?? /^(\/.*)$/.exec(endpoint);
  if (m) return { path: m[1]! };
  return {
    problem: `--runtime-endpoint ${endpoint}: only unix sockets are supported (unix:///run/containerd/containerd.sock or an absolute path).`,
  };
}

/** Reads the runtime at --runtime-endpoint, or at the first default endpoint that answers. */
export async function readRuntime(root: HostRoot, opts: RuntimeOptions = {}): Promise<RuntimeSelection> {
  const out: RuntimeSelection = { tried: [], problems: [] };
  if (opts.endpoint !== undefined) {
    const parsed = parseEndpoint(opts.endpoint);
    if ('problem' in parsed) {
      out.problems.push(parsed.problem);
      out.explicitFailed = parsed.problem;
      return out;
    }
    const shown = `unix://${parsed.path}`;
    out.tried.push(shown);
    const r = await tryEndpoint(root, parsed.path, shown, 'cri', true);
    if ('read' in r) {
      out.read = r.read;
      out.problems.push(...r.read.problems);
    } else {
      const sentence = `--runtime-endpoint ${r.problem}`;
      out.problems.push(sentence);
      out.explicitFailed = sentence;
    }
    return out;
  }
  for (const e of DEFAULT_ENDPOINTS) {
    const shown = `unix://${e.path}`;
    out.tried.push(shown);
    const r = await tryEndpoint(root, e.path, shown, e.kind, false);
    if ('read' in r) {
      out.read = r.read;
      out.problems.push(...r.read.problems);
      return out;
    }
    // A default socket that is simply absent is normal (another runtime, a snapshot): the closing
    // sentence lists every path tried; only sockets that exist and failed get a sentence of their own.
    if (!r.problem.startsWith(`${shown}: no socket at `)) out.problems.push(r.problem);
  }
  out.problems.push(
    `No container runtime answered (tried ${out.tried.join(', ')}${root.isSlash ? '' : ` under ${root.given}`}); exit codes and OOMKilled come from the log folder only. Name the runtime's socket with --runtime-endpoint.`,
  );
  return out;
}

type Attempt = { read: RuntimeRead } | { problem: string };

async function tryEndpoint(
  root: HostRoot,
  path: string,
  shown: string,
  kind: EndpointKind,
  explicit: boolean,
): Promise<Attempt> {
  const resolved = root.resolve(path);
  const under = root.isSlash ? '' : ` under ${root.given}`;
  if (!resolved.ok) {
    if (resolved.code === 'ENOENT' || resolved.code === 'ENOTDIR')
      return { problem: `${shown}: no socket at ${path}${under}.` };
    return { problem: `${shown}: ${resolved.reason}` };
  }
  const real = resolved.real;
  const what = root.kindOf(path);
  if (what === undefined) return { problem: `${shown}: ${path} cannot be read.` };
  if (what !== 'socket')
    return {
      problem: `${shown}: ${path} is ${what === 'directory' ? 'a directory' : what === 'file' ? 'a regular file' : 'not a socket'}, not a runtime's socket.`,
    };
  const conn = await connectProblem(real);
  if (conn) return { problem: `${shown}: ${conn}` };
  if (kind === 'docker') return readDockerAttempt(real, shown);

  // gRPC and protobuf are loaded only once a socket accepted a connection: loading them costs more
  // than the whole /proc walk of a 10,000-task node (bench/README-node.md), for nothing when no
  // runtime answers (a snapshot, a Docker-only node).
  const [{ CriClient }, { readCri }, { isGrpcError, Status }] = await Promise.all([
    import('./cri/client.js'),
    import('./cri/read.js'),
    import('./cri/grpc.js'),
  ]);
  const client = new CriClient(real);
  try {
    try {
      await client.version(PROBE_MS);
    } catch (err) {
      // Not CRI: an explicitly named Docker Engine socket is still read (the user pointed at it).
      const http = await httpProbe(real);
      if (http?.docker) {
        if (explicit) return readDockerAttempt(real, shown);
        return { problem: `${shown}: is a Docker Engine socket, not a CRI runtime.` };
      }
      if (http)
        return {
          problem: `${shown}: answers HTTP/1.1 (status ${http.status}), not gRPC: it is not a CRI runtime.`,
        };
      if (isGrpcError(err) && err.code === Status.UNIMPLEMENTED)
        return {
          problem: `${shown}: answers gRPC but not the CRI runtime.v1 API (a runtime older than containerd 1.6 / CRI-O 1.20, or not a container runtime).`,
        };
      if (isGrpcError(err) && err.code === Status.DEADLINE_EXCEEDED)
        return {
          problem: `${shown}: accepted the connection but did not answer a CRI Version call within ${PROBE_MS / 1000} s.`,
        };
      const why = isGrpcError(err) ? `${Status[err.code] ?? err.code}: ${err.details}` : String(err);
      return { problem: `${shown}: does not speak CRI (the Version call failed with ${why}).` };
    }
    return { read: await readCri(client, shown) };
  } finally {
    client.close();
  }
}

async function readDockerAttempt(real: string, shown: string): Promise<Attempt> {
  const read = await readDocker(real, shown);
  // A Docker socket that answered nothing useful is a failure like any other.
  if (read.containers.length === 0 && read.problems.length > 0 && read.version === undefined)
    return { problem: read.problems.join(' ') };
  return { read };
}

/** Connects once: a sentence for a socket nobody listens on, undefined when it accepts. */
function connectProblem(real: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect({ path: real });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(`the connection did not complete within ${PROBE_MS / 1000} s.`);
    }, PROBE_MS);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve(undefined);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ECONNREFUSED')
        resolve('nothing is listening on the socket (connection refused); is the runtime running?');
      else if (err.code === 'EACCES' || err.code === 'EPERM')
        resolve('permission denied (run as root on the node).');
      else resolve(`cannot connect (${err.code ?? err.message}).`);
    });
  });
}

/** GET /_ping over HTTP/1.1: tells an HTTP server (and the Docker Engine among them) from a gRPC one. */
function httpProbe(real: string): Promise<{ status: number; docker: boolean } | undefined> {
  return new Promise((resolve) => {
    const req = request({ socketPath: real, path: '/_ping', method: 'GET', timeout: PROBE_MS }, (res) => {
      res.resume();
      const docker =
        res.headers['api-version'] !== undefined || /docker/i.test(String(res.headers['server'] ?? ''));
      resolve({ status: res.statusCode ?? 0, docker });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(undefined);
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
