// Types of the stand-in (server.mjs is plain JS so the benchmark runs it with node alone).
export interface StandinFault {
  /** Matched against path + query string. */
  path: RegExp;
  /** 403 | 404 | 429 | 500 | ... ; omitted: answer normally after delayMs. */
  status?: number;
  /** How many matching requests get the fault (default 1; Infinity for always). */
  times?: number;
  retryAfter?: number;
  delayMs?: number;
  /** For 403: the RBAC rule the message names. */
  verb?: string;
  resource?: string;
  namespace?: string;
  name?: string;
  /** Never answer: the client must cancel the request. */
  hang?: boolean;
  /** Answer 200 with this raw body (truncated JSON, items: null). */
  body?: string;
}
export interface StandinCluster {
  pods?: unknown[];
  nodes?: unknown[];
  events?: unknown[];
  owners?: unknown[];
  logs?: Record<string, { previous?: string; current?: string }>;
}
/** An events.k8s.io/v1 Event as POSTed. */
export interface PostedEvent {
  metadata: { name: string; namespace: string };
  type?: string;
  reason?: string;
  note?: string;
  reportingController?: string;
  regarding?: { kind?: string; name?: string; namespace?: string; uid?: string; fieldPath?: string };
}
/** Who a token is, as TokenReview's status.user says, plus the audiences it was issued for. */
export interface ReviewIdentity {
  username: string;
  uid?: string;
  groups?: string[];
  audiences?: string[];
  extra?: Record<string, string[]>;
}
export function serviceAccountIdentity(namespace: string, name: string, audiences?: string[]): ReviewIdentity;
export interface Standin {
  url: string;
  kubeconfig: string;
  caDir: string;
  /** TLS connections accepted so far. */
  readonly connections: number;
  /** Requests the client closed before any answer. */
  readonly aborted: number;
  requests: { method: string; path: string; query: Record<string, string> }[];
  state: Required<StandinCluster> & {
    stalledLogs: Set<string>;
    posted: PostedEvent[];
    /** Tokens TokenReview knows (add, rotate, revoke them during a test). */
    reviewTokens: Map<string, ReviewIdentity>;
  };
  inject(fault: StandinFault): void;
  count(path: RegExp): number;
  /** Removes every injected fault. */
  clearFaults(): void;
  /** Stops listening and drops every connection (connection refused until up()). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}
export function startStandin(
  cluster: StandinCluster,
  opts?: { token?: string; user?: string; ignoreLimitBytes?: boolean; repeatContinue?: boolean },
): Promise<Standin>;
export function forbiddenMessage(
  user: string,
  verb: string,
  resource: string,
  namespace?: string,
  name?: string,
): string;
export function kubeconfigYaml(url: string, ca: Buffer | string, token: string): string;
