// How the agent reaches the API server to post an Event. `@kubernetes/client-node` loads the
// generated models of every API group as soon as it is imported (about 70 MiB of RSS, more than the
// rest of the agent together), for a process whose only request is one POST per diagnosed exit. So
// the agent posts with node:https where the credentials are plain: the in-cluster ServiceAccount (the
// DaemonSet's case; its token file is read at every post, so a rotated token is used at once) and a
// kubeconfig whose user has a token, a token file or a client certificate. A kubeconfig that
// authenticates through an exec plugin or an auth-provider (cloud CLIs), a proxy, or a merged
// $KUBECONFIG list is handed to client-node, imported only then.
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

/** One POST's answer: the HTTP status and, for a refusal, the API's message. */
export interface PostAnswer {
  status: number;
  message?: string;
}

export interface EventPoster {
  /** Posts one events.k8s.io/v1 Event; rejects (one sentence) when no answer came. */
  post(namespace: string, event: Record<string, unknown>, signal: AbortSignal): Promise<PostAnswer>;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** An API answer read at most (a Status object is a few hundred bytes). */
const MAX_ANSWER = 64 * 1024;

/**
 * The poster for --kubeconfig, else the in-cluster ServiceAccount, else $KUBECONFIG; undefined when
 * there is none. Throws one sentence for a kubeconfig that cannot be used.
 */
export async function eventPoster(
  kubeconfig: string | undefined,
  env = process.env,
): Promise<{ poster: EventPoster; from: string } | undefined> {
  try {
    if (kubeconfig !== undefined) {
      if (!existsSync(kubeconfig)) throw new Error(`${kubeconfig}: no such kubeconfig file.`);
      return { poster: await fromKubeconfig(kubeconfig), from: kubeconfig };
    }
    if (env.KUBERNETES_SERVICE_HOST && existsSync(join(SA_DIR, 'token')))
      return { poster: inCluster(env), from: 'in-cluster ServiceAccount' };
    if (env.KUBECONFIG) {
      const files = env.KUBECONFIG.split(':').filter(Boolean);
      const poster = files.length === 1 ? await fromKubeconfig(files[0]!) : await viaClientNode();
      return { poster, from: `$KUBECONFIG (${env.KUBECONFIG})` };
    }
  } catch (err) {
    throw new Error(
      `cannot read the kubeconfig: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
  return undefined;
}

interface Target {
  server: string;
  ca?: Buffer;
  insecure?: boolean;
  cert?: Buffer;
  key?: Buffer;
  token?: () => string | undefined;
}

function inCluster(env: NodeJS.ProcessEnv): EventPoster {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  return httpsPoster({
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(SA_DIR, 'ca.crt')),
    token: () => readFileSync(join(SA_DIR, 'token'), 'utf8').trim(),
  });
}

type Named<T> = { name?: string } & Record<string, T | undefined>;
type Entry = Record<string, unknown>;

async function fromKubeconfig(file: string): Promise<EventPoster> {
  const doc = parse(readFileSync(file, 'utf8')) as Entry | null;
  if (!doc || typeof doc !== 'object') throw new Error(`${file} is not a kubeconfig.`);
  const pick = (list: unknown, name: unknown, field: string): Entry | undefined => {
    if (!Array.isArray(list)) return undefined;
    const found = (list as Named<Entry>[]).find((x) => x?.name === name);
    return found?.[field];
  };
  const ctx = pick(doc.contexts, doc['current-context'], 'context');
  if (!ctx) throw new Error(`${file} has no current context.`);
  const cluster = pick(doc.clusters, ctx.cluster, 'cluster');
  const user = pick(doc.users, ctx.user, 'user') ?? {};
  if (!cluster || typeof cluster.server !== 'string')
    throw new Error(`${file} names no cluster server for its current context.`);
  const plain =
    cluster.server.startsWith('https://') &&
    !cluster['proxy-url'] &&
    !user.exec &&
    !user['auth-provider'] &&
    !user.username;
  if (!plain) return viaClientNode(file);
  const at = (p: unknown) =>
    typeof p === 'string' ? (isAbsolute(p) ? p : join(dirname(file), p)) : undefined;
  const bytes = (data: unknown, path: unknown): Buffer | undefined =>
    typeof data === 'string'
      ? Buffer.from(data, 'base64')
      : at(path) !== undefined
        ? readFileSync(at(path)!)
        : undefined;
  const token =
    typeof user.token === 'string'
      ? () => user.token as string
      : at(user.tokenFile) !== undefined
        ? () => readFileSync(at(user.tokenFile)!, 'utf8').trim()
        : undefined;
  const target: Target = { server: cluster.server, insecure: cluster['insecure-skip-tls-verify'] === true };
  const ca = bytes(cluster['certificate-authority-data'], cluster['certificate-authority']);
  const cert = bytes(user['client-certificate-data'], user['client-certificate']);
  const key = bytes(user['client-key-data'], user['client-key']);
  return httpsPoster({
    ...target,
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(token ? { token } : {}),
  });
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
function microTime(d: unknown): unknown {
  return d instanceof Date ? d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z') : d;
}

function httpsPoster(t: Target): EventPoster {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 2,
    ...(t.ca ? { ca: t.ca } : {}),
    ...(t.cert ? { cert: t.cert } : {}),
    ...(t.key ? { key: t.key } : {}),
    rejectUnauthorized: !t.insecure,
  });
  const base = t.server.replace(/\/+$/, '');
  return {
    post: (namespace, event, signal) =>
      new Promise<PostAnswer>((resolve, reject) => {
        const body = JSON.stringify({ ...event, eventTime: microTime(event.eventTime) });
        const token = t.token?.();
        const req = request(
          `${base}/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events`,
          {
            method: 'POST',
            agent,
            signal,
            headers: {
              'content-type': 'application/json',
              accept: 'application/json',
              'content-length': Buffer.byteLength(body),
              ...(token ? { authorization: `Bearer ${token}` } : {}),
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => {
              if (text.length < MAX_ANSWER) text += c;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, ...messageOf(text) }));
            res.on('error', reject);
          },
        );
        req.on('error', (err) => reject(signal.aborted && signal.reason ? signal.reason : err));
        req.end(body);
      }),
  };
}

function messageOf(text: string): { message?: string } {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    return typeof m === 'string' ? { message: m } : {};
  } catch {
    return {};
  }
}

/** client-node, for the credentials the light poster does not handle; imported only here. */
async function viaClientNode(file?: string): Promise<EventPoster> {
  const { ApiException, EventsV1Api, KubeConfig } = await import('@kubernetes/client-node');
  type Body = Parameters<InstanceType<typeof EventsV1Api>['createNamespacedEvent']>[0]['body'];
  const { of } = await import('@kubernetes/client-node/dist/gen/rxjsStub.js');
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  const api = kc.makeApiClient(EventsV1Api);
  return {
    async post(namespace, event, signal) {
      try {
        await api.createNamespacedEvent(
          { namespace, body: event as unknown as Body },
          {
            middleware: [
              {
                pre: (ctx) => {
                  ctx.setSignal(signal as Parameters<typeof ctx.setSignal>[0]);
                  return of(ctx);
                },
                post: (r) => of(r),
              },
            ],
            middlewareMergeStrategy: 'append',
          },
        );
        return { status: 201 };
      } catch (err) {
        if (err instanceof ApiException) return { status: err.code };
        throw signal.aborted && signal.reason ? signal.reason : err;
      }
    },
  };
}
