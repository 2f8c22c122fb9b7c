// Who may push to `podmortem server`: the bearer token of --token-file (a Secret every agent shares),
// and/or (--auth tokenreview) the agent's own ServiceAccount token, verified by the Kubernetes API
// (POST authentication.k8s.io/v1 tokenreviews) and checked against an allow-list of ServiceAccounts.
// A review is cached for a short time by the token's hash (a fleet of agents pushing every few
// seconds must not become a TokenReview storm), concurrent pushes with one token share one review,
// and an API that cannot answer is a 503 (the agent retries) and is never cached.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  AuthenticationV1Api,
  KubeConfig,
  type RequestContext,
  type ResponseContext,
  type V1TokenReview,
} from '@kubernetes/client-node';
import { of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';

export type AuthDecision = { ok: true; who: string } | { ok: false; status: 401 | 403 | 503; error: string };

/** Decides on the token of `Authorization: Bearer <token>`. */
export type Authenticate = (token: string) => Promise<AuthDecision>;

/** A ServiceAccount allowed to push: "namespace/name", or "namespace/*" for every one of a namespace. */
export type AllowedAccount = string;

export const DEFAULT_ALLOWED: AllowedAccount[] = ['podmortem/podmortem-agent'];
const SA_PREFIX = 'system:serviceaccount:';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SA_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

export class AllowListError extends Error {}

/** "ns/name,ns/*" as --allow-serviceaccount takes it; one sentence for an entry that is no ServiceAccount. */
export function parseAllowed(values: string[]): AllowedAccount[] {
  const out = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const v of out) {
    const [ns, name, extra] = v.split('/');
    if (extra !== undefined || !ns || !name || !DNS_LABEL.test(ns) || (name !== '*' && !SA_NAME.test(name)))
      throw new AllowListError(
        `--allow-serviceaccount ${v}: expected NAMESPACE/NAME (or NAMESPACE/* for all of a namespace), such as podmortem/podmortem-agent.`,
      );
  }
  return out;
}

const SA_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The API for TokenReview: --kubeconfig, else the in-cluster ServiceAccount, else $KUBECONFIG (the
 * agent's order for its Events); undefined when there is none. Throws one sentence for a kubeconfig
 * that cannot be read.
 */
export function reviewConfig(
  kubeconfig: string | undefined,
  env = process.env,
): { kc: KubeConfig; from: string } | undefined {
  const kc = new KubeConfig();
  try {
    if (kubeconfig !== undefined) {
      if (!existsSync(kubeconfig)) throw new Error(`${kubeconfig}: no such kubeconfig file.`);
      kc.loadFromFile(kubeconfig);
      return { kc, from: kubeconfig };
    }
    if (env.KUBERNETES_SERVICE_HOST && existsSync(SA_TOKEN)) {
      kc.loadFromCluster();
      return { kc, from: 'in-cluster ServiceAccount' };
    }
    if (env.KUBECONFIG) {
      kc.loadFromDefault();
      return { kc, from: `$KUBECONFIG (${env.KUBECONFIG})` };
    }
  } catch (err) {
    throw new Error(
      `cannot read the kubeconfig: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
  return undefined;
}

/** Request options that cancel the review when `signal` fires (client-node's middleware). */
function abortable(signal: AbortSignal) {
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(signal as Parameters<RequestContext['setSignal']>[0]);
          return of(ctx);
        },
        post: (r: ResponseContext) => of(r),
      },
    ],
    middlewareMergeStrategy: 'append' as const,
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest('hex');

export interface TokenReviewOptions {
  kc: KubeConfig;
  allowed: AllowedAccount[];
  /** The audience the agents' projected tokens carry (--token-audience); none: the API server's own. */
  audience?: string;
  /** How long a decision is reused (default 60 s for an accepted token, 10 s for a refused one). */
  acceptTtlMs?: number;
  refuseTtlMs?: number;
  /** One review's time limit (default 5 s). */
  timeoutMs?: number;
  /** Tokens remembered at most (default 10,000); the oldest is forgotten first. */
  maxEntries?: number;
  now?: () => number;
}

/** The ServiceAccount behind a username, as "namespace/name", or undefined for any other user. */
export function accountOf(username: string): string | undefined {
  if (!username.startsWith(SA_PREFIX)) return undefined;
  const [ns, name, extra] = username.slice(SA_PREFIX.length).split(':');
  return ns && name && extra === undefined ? `${ns}/${name}` : undefined;
}

function allows(allowed: AllowedAccount[], account: string): boolean {
  const ns = account.split('/')[0];
  return allowed.some((a) => a === account || a === `${ns}/*`);
}

export function tokenReview(o: TokenReviewOptions): Authenticate & { reviews: () => number } {
  const api = o.kc.makeApiClient(AuthenticationV1Api);
  const now = o.now ?? Date.now;
  const cache = new Map<string, { decision: AuthDecision; until: number }>();
  const inFlight = new Map<string, Promise<AuthDecision>>();
  let reviews = 0;

  const decide = (review: V1TokenReview): AuthDecision => {
    const status = review.status ?? {};
    if (!status.authenticated)
      return {
        ok: false,
        status: 401,
        error: `The Kubernetes API did not accept this token (TokenReview: ${status.error?.trim() || 'not authenticated'}).`,
      };
    if (o.audience !== undefined && !(status.audiences ?? []).includes(o.audience))
      return {
        ok: false,
        status: 401,
        error: `The token is not meant for this server: its audiences do not include ${o.audience} (project the agent's token with audience ${o.audience}).`,
      };
    const username = status.user?.username ?? '';
    const account = accountOf(username);
    if (account === undefined)
      return {
        ok: false,
        status: 403,
        error: `User "${username}" is not a ServiceAccount: only agents' ServiceAccounts may push.`,
      };
    if (!allows(o.allowed, account))
      return {
        ok: false,
        status: 403,
        error: `ServiceAccount ${account} may not push incidents here (allowed: ${o.allowed.join(', ')}; see --allow-serviceaccount).`,
      };
    return { ok: true, who: account };
  };

  const review = async (token: string): Promise<AuthDecision> => {
    reviews++;
    try {
      const answer = await api.createTokenReview(
        {
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token, ...(o.audience !== undefined ? { audiences: [o.audience] } : {}) },
          },
        },
        abortable(AbortSignal.timeout(o.timeoutMs ?? 5000)),
      );
      return decide(answer);
    } catch (err) {
      return { ok: false, status: 503, error: cannotReview(err) };
    }
  };

  const authenticate = async (token: string): Promise<AuthDecision> => {
    const key = digest(token);
    const hit = cache.get(key);
    if (hit && hit.until > now()) return hit.decision;
    cache.delete(key);
    let pending = inFlight.get(key);
    if (!pending) {
      pending = review(token).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    const decision = await pending;
    if (decision.ok || decision.status !== 503) {
      const ttl = decision.ok ? (o.acceptTtlMs ?? 60_000) : (o.refuseTtlMs ?? 10_000);
      if (cache.size >= (o.maxEntries ?? 10_000)) cache.delete(cache.keys().next().value!);
      cache.set(key, { decision, until: now() + ttl });
    }
    return decision;
  };
  return Object.assign(authenticate, { reviews: () => reviews });
}

/** The API's refusal or silence, as the 503 sentence (the push is retried by the agent). */
function cannotReview(err: unknown): string {
  const e = err as {
    code?: unknown;
    body?: unknown;
    name?: string;
    message?: string;
    cause?: { code?: string };
  };
  const lead = 'The token cannot be verified now:';
  if (typeof e.code === 'number') {
    let message = '';
    try {
      const body = typeof e.body === 'string' ? (JSON.parse(e.body) as { message?: string }) : e.body;
      message = (body as { message?: string } | undefined)?.message ?? '';
    } catch {
      // not the API's Status object
    }
    if (e.code === 403)
      return `${lead} the Kubernetes API refused the TokenReview (403${message ? `: ${message}` : ''}); the server's ServiceAccount needs create on tokenreviews.authentication.k8s.io.`;
    return `${lead} the Kubernetes API answered ${e.code}${message ? ` (${message})` : ''}.`;
  }
  if (e.name === 'AbortError' || e.name === 'TimeoutError')
    return `${lead} the Kubernetes API did not answer the TokenReview in time.`;
  return `${lead} the Kubernetes API cannot be reached (${e.cause?.code ?? e.message ?? String(err)}).`;
}
