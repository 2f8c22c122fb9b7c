// What a bundle must never carry: credentials that leak into logs and API objects. The formats
// follow the detectors of the usual secret scanners (gitleaks' rules: GitHub ghp_/gho_/ghu_/ghs_/ghr_
// and github_pat_, Slack xox?- tokens and hooks.slack.com webhooks, Google AIza keys, AWS key ids,
// Stripe sk_/rk_ keys, JWTs, private key blocks; troubleshoot.sh's default redactors: connection
// strings with a password, password/token/secret values, env values by name).
//
// Linear time on hostile input: every rule starts only at the boundary of a run of the characters
// it consumes (a lookbehind), and its runs are greedy with no upper bound (lengths are checked in
// code). A rule whose prefix can recur inside its own run (`eyJ-eyJ-...`) would otherwise restart at
// every occurrence and rescan the run each time; with the boundary each run is scanned once.

export type RedactionKind =
  | 'private-key'
  | 'aws-access-key-id'
  | 'aws-secret-key'
  | 'aws-presigned-signature'
  | 'gcp-service-account'
  | 'google-api-key'
  | 'azure-connection-string'
  | 'connection-string-password'
  | 'url-token'
  | 'sentry-dsn'
  | 'github-token'
  | 'slack-token'
  | 'slack-webhook'
  | 'stripe-key'
  | 'docker-auth'
  | 'jwt'
  | 'bearer-token'
  | 'basic-auth'
  | 'authorization-header'
  | 'secret-value'
  | 'secret-arg'
  | 'env-value'
  | 'annotation-value'
  | 'secret-object'
  | 'base64-secret'
  | 'url-encoded-secret'
  | 'too-deep';

export const mark = (kind: RedactionKind) => `[REDACTED:${kind}]`;
export const MARK_PREFIX = '[REDACTED:';

export interface Rule {
  kind: RedactionKind;
  re: RegExp;
  /** A cheap test that must pass for the rule to match at all (most lines hold no credential). */
  hint: RegExp;
  /** Replacement for a match, or undefined to keep it (a length or shape check failed). */
  replace: (m: RegExpExecArray) => string | undefined;
}

/** A token of these characters starts here (nothing of the same run before it). */
const TOK = '(?<![A-Za-z0-9_-])';

const atLeast = (n: number, s: string | undefined) => s !== undefined && s.length >= n;

export const RULES: Rule[] = [
  // Azure storage / service bus connection strings: AccountKey=..., SharedAccessKey=..., sig=...
  {
    kind: 'azure-connection-string',
    hint: /AccountKey=|SharedAccess|sig=/,
    re: /\b(AccountKey|SharedAccessKey|SharedAccessSignature|sig)=([A-Za-z0-9+/%]{16,}={0,2})/g,
    replace: (m) => `${m[1]}=${mark('azure-connection-string')}`,
  },
  // Presigned URLs (S3, GCS): the signature and the session token in the query string.
  {
    kind: 'aws-presigned-signature',
    hint: /Signature=|Security-Token=/i,
    re: /(?<=[?&;])(X-Amz-Signature|X-Amz-Security-Token|X-Goog-Signature|Signature)=([^&\s"'#<>]+)/gi,
    replace: (m) => `${m[1]}=${mark('aws-presigned-signature')}`,
  },
  // Slack incoming webhooks: the path after /services/ is the credential.
  {
    kind: 'slack-webhook',
    hint: /hooks\.slack\.com/i,
    re: /(https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/)([A-Za-z0-9_/+-]+)/gi,
    replace: (m) => (atLeast(16, m[2]) ? `${m[1]}${mark('slack-webhook')}` : undefined),
  },
  // user:password@ in any URL (postgres://, mongodb+srv://, amqp://, redis://, https://), and a
  // token as the whole userinfo (https://ghp_...@github.com, Sentry DSNs https://<key>@o1.ingest.sentry.io).
  {
    kind: 'connection-string-password',
    hint: /:\/\//,
    re: /(?<![A-Za-z0-9+.-])([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^\s:/@"'<>]*)(?::([^\s@/"'<>]*))?@([^\s/:"'<>]*)/g,
    replace: (m) => {
      const scheme = m[1]!;
      const user = m[2]!;
      const pass = m[3];
      const host = m[4]!;
      if (scheme.length > 24) return undefined;
      if (pass !== undefined && pass.length > 0 && !pass.startsWith(MARK_PREFIX))
        return `${scheme}${user}:${mark('connection-string-password')}@${host}`;
      // No password: the user part is a credential when it looks like a key (long, with digits).
      if (pass === undefined && user.length >= 16 && /\d/.test(user) && !user.startsWith(MARK_PREFIX)) {
        const kind = /sentry/i.test(host) ? 'sentry-dsn' : 'url-token';
        return `${scheme}${mark(kind)}@${host}`;
      }
      return undefined;
    },
  },
  {
    kind: 'github-token',
    hint: /gh[pousr]_|github_pat_/,
    re: new RegExp(`${TOK}(?:gh[pousr]_[A-Za-z0-9]+|github_pat_[A-Za-z0-9_]+)`, 'g'),
    replace: (m) => (atLeast(24, m[0]) ? mark('github-token') : undefined),
  },
  {
    kind: 'slack-token',
    hint: /xox[abposre]-|xapp-/,
    re: new RegExp(`${TOK}(?:xox[abposre]|xapp)-[A-Za-z0-9-]+`, 'g'),
    replace: (m) => (atLeast(15, m[0]) ? mark('slack-token') : undefined),
  },
  {
    kind: 'google-api-key',
    hint: /AIza/,
    re: new RegExp(`${TOK}AIza[0-9A-Za-z_-]+`, 'g'),
    replace: (m) => (atLeast(30, m[0]) ? mark('google-api-key') : undefined),
  },
  {
    kind: 'stripe-key',
    hint: /[sr]k_(?:live|test)_|whsec_/,
    re: new RegExp(`${TOK}(?:(?:sk|rk)_(?:live|test)_[0-9A-Za-z]+|whsec_[0-9A-Za-z]+)`, 'g'),
    replace: (m) => (atLeast(16, m[0]) ? mark('stripe-key') : undefined),
  },
  {
    kind: 'aws-access-key-id',
    hint: /A(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA)/,
    re: /(?<![A-Z0-9])(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[0-9A-Z]{16}(?![A-Z0-9])/g,
    replace: () => mark('aws-access-key-id'),
  },
  // GCP service account JSON: the private key id (the private key itself is a PEM block, handled apart).
  {
    kind: 'gcp-service-account',
    hint: /private_key_id/,
    re: /("private_key_id\\{0,4}"\s{0,8}:\s{0,8}\\{0,4}")([0-9a-f]{40})(?![0-9a-f])/g,
    replace: (m) => `${m[1]}${mark('gcp-service-account')}`,
  },
  // header.payload.signature, each base64url; the signature may be empty (alg none).
  {
    kind: 'jwt',
    hint: /eyJ/,
    re: new RegExp(`${TOK}eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*`, 'g'),
    replace: (m) => (atLeast(24, m[0]) ? mark('jwt') : undefined),
  },
  // Bearer <token> anywhere (not only after Authorization:); a word after "bearer" is not a token.
  {
    kind: 'bearer-token',
    hint: /bearer/i,
    re: new RegExp(`${TOK}(bearer)[ \\t]{1,8}([A-Za-z0-9._~+/-]+=*)`, 'gi'),
    replace: (m) =>
      atLeast(8, m[2]) && /[0-9._~+/-]/.test(m[2]!) && !m[2]!.startsWith('[')
        ? `${m[1]} ${mark('bearer-token')}`
        : undefined,
  },
  // Basic <base64 of user:password>: decoded and checked, so "basic authentication" stays.
  {
    kind: 'basic-auth',
    hint: /basic/i,
    re: new RegExp(`${TOK}(basic)[ \\t]{1,8}([A-Za-z0-9+/]+={0,2})`, 'gi'),
    replace: (m) =>
      atLeast(8, m[2]) && Buffer.from(m[2]!, 'base64').toString('latin1').includes(':')
        ? `${m[1]} ${mark('basic-auth')}`
        : undefined,
  },
];

/** A 40-character AWS secret access key, redacted when an access key id is in the same text. */
export const AWS_SECRET_BESIDE_ID = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

// Names whose value is a secret: env names (DB_PASS, GITHUB_TOKEN, STRIPE_SK, SENTRY_DSN,
// SLACK_WEBHOOK_URL), keys of key=value and JSON, flags (--password), annotation keys.
const SECRET_PART =
  /pass(?:word|wd|phrase|code)|secret|credential|api_?key|private_?key|access_?key|client_?key|auth_?key|auth_?token|webhook|connection_?string|conn_?str|dockerconfigjson|dockercfg/;
const SECRET_WORDS = new Set([
  'pass',
  'pwd',
  'pw',
  'token',
  'sk',
  'dsn',
  'auth',
  'authorization',
  'signature',
  'sig',
  'apikey',
  'jwt',
  'bearer',
  'cookie',
  'otp',
]);
/** A last word that makes the name describe a secret, not hold one (SECRET_NAME, TOKEN_TTL). */
const DESCRIBES = new Set([
  'name',
  'names',
  'ref',
  'path',
  'file',
  'dir',
  'ttl',
  'expiry',
  'expiration',
  'expires',
  'seconds',
  'secs',
  'timeout',
  'type',
  'length',
  'count',
  'size',
  'max',
  'min',
  'enabled',
  'disabled',
  'mode',
  'id',
  'endpoint',
  'uri',
  'version',
  'format',
  'algorithm',
  'issuer',
  'audience',
  'required',
  'policy',
]);
/** Keys that are not secrets: cache_key, sort_key, primary_key... */
const PLAIN_KEYS = new Set([
  'cache',
  'sort',
  'partition',
  'primary',
  'foreign',
  'routing',
  'public',
  'idempotency',
  'object',
  'hash',
  'map',
  'lookup',
  'row',
  'unique',
  'group',
  'shard',
  'dedup',
  'label',
  'node',
  'topology',
  'field',
]);

/** Whether a name (env var, JSON key, flag, annotation key) holds a secret value. */
const MAY_BE_SECRET =
  /pass|pwd|pw|secret|cred|key|tok|auth|sk|dsn|sig|jwt|bearer|cookie|otp|hook|conn|docker/i;

export function isSecretName(name: string): boolean {
  if (name.length > 128 || !MAY_BE_SECRET.test(name)) return false;
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  if (words.length === 0) return false;
  const last = words[words.length - 1]!;
  if (DESCRIBES.has(last)) return false;
  if (words.length === 1 && (last === 'pwd' || last === 'oldpwd')) return false; // the shell's working directory
  if (SECRET_PART.test(words.join('_')) || SECRET_PART.test(words.join(''))) return true;
  if (words.some((w) => SECRET_WORDS.has(w))) return true;
  // *_KEY: a named key (ENCRYPTION_KEY, signingKey), not a lone "key" nor a cache_key.
  return last === 'key' && words.length > 1 && !PLAIN_KEYS.has(words[words.length - 2]!);
}

/** Values that are not secrets even under a secret name. */
export function isPlaceholder(v: string): boolean {
  return (
    v.length === 0 ||
    v.startsWith(MARK_PREFIX) ||
    /^(?:null|nil|<nil>|none|true|false|undefined|\*+|x+|\.\.\.|<redacted>|redacted|\[redacted\]|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)$/i.test(
      v,
    )
  );
}
