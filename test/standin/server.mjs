// A Kubernetes API stand-in: a real HTTPS server (node:https, a CA made with openssl) that speaks the
// paths, query parameters, object shapes and Status errors of kube-apiserver for what podmortem
// reads: pods (limit/continue pagination, labelSelector, fieldSelector), previous logs, events,
// nodes, owner objects, plus the discovery documents kubectl needs. Faults are injectable: 403 with
// the apiserver's exact RBAC message, 404, 429 with Retry-After, 500, and slow answers. Every request
// is recorded, so tests assert what the client really did (pagination used, retries made).
// Plain JS (not TS) so the benchmark can run it with node alone.
/* global URL, setTimeout, Buffer */
import { createServer } from 'node:https';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCerts } from './certs.mjs';

let cachedTls;

/** The audiences of a token the API server issued without asking for one (its own). */
const API_AUDIENCES = ['https://kubernetes.default.svc.cluster.local'];

/** The identity TokenReview answers for a ServiceAccount's token (the shape kube-apiserver gives). */
export function serviceAccountIdentity(namespace, name, audiences = API_AUDIENCES) {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    uid: `5a1b2c3d-0000-4000-8000-${Buffer.from(`${namespace}/${name}`).toString('hex').padEnd(12, '0').slice(0, 12)}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
    audiences,
    extra: {
      'authentication.kubernetes.io/pod-name': [`${name}-x7k2p`],
      'authentication.kubernetes.io/pod-uid': ['0c9e3c53-2f5d-4b8e-9d0a-6f1f3e7c2b11'],
    },
  };
}

const GROUPS = {
  'apps/v1': ['replicasets', 'daemonsets', 'deployments', 'statefulsets'],
  'batch/v1': ['jobs'],
};
const KIND = {
  replicasets: 'ReplicaSet',
  daemonsets: 'DaemonSet',
  deployments: 'Deployment',
  statefulsets: 'StatefulSet',
  jobs: 'Job',
  pods: 'Pod',
  nodes: 'Node',
  events: 'Event',
};

/**
 * @param {object} cluster  { pods, nodes, events, owners, logs: {"ns/pod/container": {previous?: string, current?: string}} }
 * @param {object} [opts]   { token, user, ignoreLimitBytes }
 */
export async function startStandin(cluster, opts = {}) {
  const token = opts.token ?? 'standin-token-3f9a';
  const user = opts.user ?? 'system:serviceaccount:podmortem:podmortem';
  // One CA per process: openssl key generation is the slowest part of a test's setup.
  cachedTls ??= makeCerts();
  const tls = cachedTls;
  const state = {
    pods: sortByKey(cluster.pods ?? []),
    nodes: sortByKey(cluster.nodes ?? []),
    events: cluster.events ?? [],
    owners: cluster.owners ?? [],
    logs: cluster.logs ?? {},
    /** "ns/pod/container" keys whose log stops half-way and never ends (a stalled kubelet). */
    stalledLogs: new Set(),
    /** Events POSTed to events.k8s.io/v1 (the agent's), in order. */
    posted: [],
    /** ServiceAccount tokens TokenReview knows: token -> { username, uid, groups, audiences, extra }. */
    reviewTokens: new Map(),
  };
  /** Requests seen: { method, path, query } */
  const requests = [];
  const aborted = { count: 0 };
  /** Injected faults: { path: RegExp, status, times, retryAfter?, delayMs?, verb?, resource?, namespace? } */
  const faults = [];
  let rv = 1000;

  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://standin');
    const q = url.searchParams;
    requests.push({ method: req.method, path: url.pathname, query: Object.fromEntries(q) });
    const send = (status, body, headers = {}) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, {
        'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
        ...headers,
      });
      res.end(text);
    };
    if (req.headers.authorization !== `Bearer ${token}`) {
      return send(401, statusObj(401, 'Unauthorized', 'Unauthorized'));
    }
    const fault = faults.find((f) => f.times > 0 && f.path.test(url.pathname + url.search));
    if (fault) {
      fault.times--;
      // hang: never answer (a stuck apiserver or proxy); the client must cancel. Closed unanswered = aborted.
      if (fault.hang) {
        res.on('close', () => aborted.count++);
        return;
      }
      // body: a raw answer (truncated JSON, items: null) with status 200.
      if (fault.body !== undefined) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(fault.body);
      }
      const answer = () => {
        if (!fault.status) return route(url, q, send, res);
        if (fault.status === 403) {
          const msg = forbiddenMessage(
            user,
            fault.verb ?? 'get',
            fault.resource ?? 'pods',
            fault.namespace,
            fault.name,
          );
          return send(
            403,
            statusObj(403, 'Forbidden', msg, { kind: fault.resource?.split('/')[0] ?? 'pods' }),
          );
        }
        if (fault.status === 429) {
          return send(429, statusObj(429, 'TooManyRequests', 'Too many requests, please try again later.'), {
            'retry-after': String(fault.retryAfter ?? 1),
          });
        }
        if (fault.status === 404)
          return send(404, statusObj(404, 'NotFound', 'the server could not find the requested resource'));
        return send(
          fault.status,
          statusObj(fault.status, 'InternalError', 'Internal error occurred: etcdserver: request timed out'),
        );
      };
      if (fault.delayMs) return void setTimeout(answer, fault.delayMs);
      return answer();
    }
    route(url, q, send, res);
  });

  function route(url, q, send, res) {
    const p = url.pathname.replace(/\/+$/, '');
    let m;
    if (p === '/version')
      return send(200, { major: '1', minor: '29', gitVersion: 'v1.29.4', platform: 'linux/amd64' });
    if (p === '/api')
      return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (p === '/apis') return send(200, apiGroupList());
    if (p === '/api/v1')
      return send(200, resourceList('v1', ['pods', 'pods/log', 'nodes', 'events', 'namespaces']));
    if ((m = /^\/apis\/(apps|batch)\/v1$/.exec(p)))
      return send(200, resourceList(`${m[1]}/v1`, GROUPS[`${m[1]}/v1`]));
    if (p === '/api/v1/pods') return send(200, list('PodList', filterPods(state.pods, q), q));
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods$/.exec(p))) {
      return send(
        200,
        list(
          'PodList',
          filterPods(
            state.pods.filter((x) => x.metadata.namespace === m[1]),
            q,
          ),
          q,
        ),
      );
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(p)))
      return sendLog(m[1], m[2], q, send, res);
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(p))) {
      const pod = state.pods.find((x) => x.metadata.namespace === m[1] && x.metadata.name === m[2]);
      return pod ? send(200, pod) : send(404, notFound('pods', m[2]));
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(p))) {
      const evs = state.events.filter((e) => e.metadata.namespace === m[1]);
      return send(200, list('EventList', evs.filter(fieldMatcher(q.get('fieldSelector'))), q));
    }
    if (
      res.req.method === 'POST' &&
      (m = /^\/apis\/events\.k8s\.io\/v1\/namespaces\/([^/]+)\/events$/.exec(p))
    )
      return createEvent(m[1], res.req, send);
    if (res.req.method === 'POST' && p === '/apis/authentication.k8s.io/v1/tokenreviews')
      return reviewToken(res.req, send);
    if (p === '/api/v1/nodes')
      return send(200, list('NodeList', state.nodes.filter(labelMatcher(q.get('labelSelector'))), q));
    if ((m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(p))) {
      const node = state.nodes.find((x) => x.metadata.name === m[1]);
      return node ? send(200, node) : send(404, notFound('nodes', m[1]));
    }
    if ((m = /^\/apis\/(apps|batch)\/v1\/namespaces\/([^/]+)\/([a-z]+)\/([^/]+)$/.exec(p))) {
      const [, group, ns, resource, name] = m;
      const kind = KIND[resource];
      const obj = state.owners.find(
        (o) => o.kind === kind && o.metadata.namespace === ns && o.metadata.name === name,
      );
      return obj ? send(200, obj) : send(404, notFound(`${resource}.${group}`, name));
    }
    return send(404, statusObj(404, 'NotFound', 'the server could not find the requested resource'));
  }

  /** POST of an events.k8s.io/v1 Event (the agent's): recorded in state.posted; a name seen before answers 409. */
  function createEvent(ns, req, send) {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      body += c;
      if (body.length > 1 << 20) req.destroy();
    });
    req.on('end', () => {
      let ev;
      try {
        ev = JSON.parse(body);
      } catch {
        return send(400, statusObj(400, 'BadRequest', 'the body is not JSON'));
      }
      const name = ev?.metadata?.name;
      if (state.posted.some((e) => e.metadata.namespace === ns && e.metadata.name === name))
        return send(409, statusObj(409, 'AlreadyExists', `events.events.k8s.io "${name}" already exists`));
      const stored = { ...ev, metadata: { ...ev.metadata, namespace: ns, resourceVersion: String(rv++) } };
      state.posted.push(stored);
      send(201, stored);
    });
  }

  /**
   * POST of an authentication.k8s.io/v1 TokenReview, answered as kube-apiserver does: 201 with the
   * review, status.authenticated and the user for a known token whose audiences meet the requested
   * ones (status.audiences is the intersection), else status.error and no user.
   */
  function reviewToken(req, send) {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      body += c;
      if (body.length > 1 << 20) req.destroy();
    });
    req.on('end', () => {
      let review;
      try {
        review = JSON.parse(body);
      } catch {
        return send(400, statusObj(400, 'BadRequest', 'the body is not JSON'));
      }
      if (review?.kind !== 'TokenReview' || typeof review?.spec?.token !== 'string')
        return send(
          400,
          statusObj(
            400,
            'BadRequest',
            'TokenReview.authentication.k8s.io "" is invalid: spec.token: Required value',
          ),
        );
      const wanted = review.spec.audiences ?? API_AUDIENCES;
      const who = state.reviewTokens.get(review.spec.token);
      let status;
      if (!who) status = { user: {}, error: '[invalid bearer token, token lookup failed]' };
      else {
        const has = who.audiences ?? API_AUDIENCES;
        const both = wanted.filter((a) => has.includes(a));
        status =
          both.length === 0
            ? {
                user: {},
                error: `[invalid bearer token, token audiences ${JSON.stringify(has)} is invalid for the target audiences ${JSON.stringify(wanted)}]`,
              }
            : {
                authenticated: true,
                user: { username: who.username, uid: who.uid, groups: who.groups, extra: who.extra },
                audiences: both,
              };
      }
      send(201, {
        kind: 'TokenReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { creationTimestamp: null },
        spec: review.spec,
        status,
      });
    });
  }

  function sendLog(ns, podName, q, send, res) {
    const pod = state.pods.find((x) => x.metadata.namespace === ns && x.metadata.name === podName);
    if (!pod) return send(404, notFound('pods', podName));
    const container = q.get('container') ?? pod.spec.containers[0].name;
    const previous = q.get('previous') === 'true';
    const entry = state.logs[`${ns}/${podName}/${container}`];
    const text = previous ? entry?.previous : (entry?.current ?? '');
    if (text === undefined) {
      // The apiserver relays the kubelet's answer for a container that never restarted.
      return send(
        400,
        statusObj(
          400,
          'BadRequest',
          `previous terminated container "${container}" in pod "${podName}" not found`,
        ),
      );
    }
    let body = Buffer.from(text);
    const tail = Number(q.get('tailLines') ?? 0);
    if (tail > 0)
      body = Buffer.from(
        body
          .toString()
          .split('\n')
          .filter((l, i, a) => i < a.length - 1 || l)
          .slice(-tail)
          .join('\n') + '\n',
      );
    // opts.ignoreLimitBytes: a misbehaving server (or proxy) that sends the whole log anyway.
    const limit = opts.ignoreLimitBytes ? 0 : Number(q.get('limitBytes') ?? 0);
    if (limit > 0 && body.length > limit) body = body.subarray(0, limit);
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    // Streamed in pieces, as the kubelet does. A stalled log sends its first half and then nothing.
    const stalled = state.stalledLogs.has(`${ns}/${podName}/${container}`);
    const end = stalled ? Math.floor(body.length / 2) : body.length;
    for (let i = 0; i < end; i += 64 * 1024) res.write(body.subarray(i, Math.min(end, i + 64 * 1024)));
    if (!stalled) res.end();
  }

  function list(kind, items, q) {
    const limit = Number(q.get('limit') ?? 0);
    const token = q.get('continue');
    // A broken server that hands out the same continue token forever.
    if (opts.repeatContinue && limit > 0)
      return {
        kind,
        apiVersion: 'v1',
        metadata: { continue: 'c2FtZS10b2tlbg==' },
        items: items.slice(0, limit),
      };
    let offset = 0;
    if (token) {
      try {
        offset = JSON.parse(Buffer.from(token, 'base64').toString()).start;
      } catch {
        offset = 0;
      }
    }
    const page = limit > 0 ? items.slice(offset, offset + limit) : items.slice(offset);
    const next = limit > 0 && offset + limit < items.length;
    const metadata = { resourceVersion: String(rv++) };
    if (next) {
      metadata.continue = Buffer.from(
        JSON.stringify({ v: 'meta.k8s.io/v1', rv: rv, start: offset + limit }),
      ).toString('base64');
      metadata.remainingItemCount = items.length - offset - limit;
    }
    return { kind, apiVersion: 'v1', metadata, items: page };
  }

  // TLS connections accepted: shows whether clients reuse connections (keep-alive) or handshake per request.
  const tlsConnections = { count: 0 };
  server.on('secureConnection', () => tlsConnections.count++);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  const url = `https://127.0.0.1:${port}`;
  const kubeconfigDir = mkdtempSync(join(tmpdir(), 'pm-standin-kube-'));
  const kubeconfig = join(kubeconfigDir, 'config');
  writeFileSync(kubeconfig, kubeconfigYaml(url, tls.ca, token));

  return {
    url,
    kubeconfig,
    caDir: tls.dir,
    requests,
    state,
    get connections() {
      return tlsConnections.count;
    },
    /** Requests that were closed by the client before any answer (hang faults cancelled). */
    get aborted() {
      return aborted.count;
    },
    /** Makes the next `times` requests whose path+query match `path` answer with a fault. */
    inject(fault) {
      faults.push({ times: 1, ...fault });
    },
    count(re) {
      return requests.filter((r) => re.test(r.path)).length;
    },
    /** Removes every injected fault (a stuck API server answering again). */
    clearFaults() {
      faults.splice(0);
    },
    /** Stops listening and drops every connection: the API server is down (connection refused). */
    down() {
      return new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      });
    },
    /** Listens again on the same address after down(). */
    up() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections?.();
        if (!server.listening) return resolve();
        server.close(() => resolve());
      });
    },
  };
}

export function kubeconfigYaml(url, ca, token) {
  return `apiVersion: v1
kind: Config
clusters:
- name: standin
  cluster:
    server: ${url}
    certificate-authority-data: ${Buffer.from(ca).toString('base64')}
users:
- name: podmortem
  user:
    token: ${token}
contexts:
- name: standin
  context:
    cluster: standin
    user: podmortem
- name: other
  context:
    cluster: standin
    user: podmortem
    namespace: default
current-context: standin
`;
}

/** kube-apiserver's RBAC denial text (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go). */
export function forbiddenMessage(user, verb, resource, namespace, name) {
  const [res, sub] = resource.split('/');
  const full = sub ? `${res}/${sub}` : res;
  const who = name ? `${res} "${name}"` : res;
  const where = namespace ? ` in the namespace "${namespace}"` : ' at the cluster scope';
  return `${who} is forbidden: User "${user}" cannot ${verb} resource "${full}" in API group ""${where}`;
}

function statusObj(code, reason, message, details) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
    ...(details ? { details } : {}),
  };
}

function notFound(resource, name) {
  const [kind, group] = resource.split('.');
  return statusObj(404, 'NotFound', `${resource} "${name}" not found`, { name, group: group ?? '', kind });
}

function sortByKey(items) {
  return [...items].sort((a, b) =>
    `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
      `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
    ),
  );
}

function filterPods(pods, q) {
  return pods.filter(labelMatcher(q.get('labelSelector'))).filter(fieldMatcher(q.get('fieldSelector')));
}

/** Equality-based label selectors: k=v, k==v, k!=v, k, !k (comma = and). */
function labelMatcher(sel) {
  if (!sel) return () => true;
  const terms = sel
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return (o) => {
    const labels = o.metadata.labels ?? {};
    return terms.every((t) => {
      let m;
      if ((m = /^([^!=]+)!=(.*)$/.exec(t))) return labels[m[1]] !== m[2];
      if ((m = /^([^=]+)==?(.*)$/.exec(t))) return labels[m[1]] === m[2];
      if (t.startsWith('!')) return !(t.slice(1) in labels);
      return t in labels;
    });
  };
}

/** Field selectors on dotted paths: a=b, a==b, a!=b. */
function fieldMatcher(sel) {
  if (!sel) return () => true;
  const terms = sel
    .split(',')
    .map((t) => /^([^!=]+)(!=|==|=)(.*)$/.exec(t.trim()))
    .filter(Boolean);
  return (o) =>
    terms.every(([, path, op, want]) => {
      const got = path.split('.').reduce((v, k) => (v == null ? undefined : v[k]), o);
      return op === '!=' ? String(got ?? '') !== want : String(got ?? '') === want;
    });
}

function apiGroupList() {
  const group = (name) => ({
    name,
    versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
    preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group('apps'), group('batch')] };
}

function resourceList(groupVersion, resources) {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: resources.map((r) => ({
      name: r,
      singularName: '',
      namespaced: !['nodes', 'namespaces'].includes(r),
      kind: KIND[r.split('/')[0]] ?? 'Namespace',
      verbs: r.includes('/') ? ['get'] : ['get', 'list', 'watch'],
      ...(r === 'pods' ? { shortNames: ['po'] } : {}),
    })),
  };
}
