// What a bundle must never carry: credentials that leak into logs and API objects. Each kind is a
// linear-time pattern (no nested or adjacent quantifiers over overlapping classes: logs are
// untrusted) or a small scanner; the replacement keeps the shape of the line ("password=[REDACTED:
// password]") so the crash lines around it stay readable and recognizable.
// Kinds follow the detectors of the usual secret scanners (gitleaks' rules: AWS AKIA/ASIA ids,
// private key blocks, JWTs, Azure AccountKey, GCP service account JSON; troubleshoot.sh's default
// redactors: connection strings with passwords, "password"/"token"/"secret" values, env values).

export type RedactionKind =
  | 'private-key'
  | 'aws-access-key-id'
  | 'aws-secret-key'
  | 'gcp-service-account'
  | 'azure-connection-string'
  | 'connection-string-password'
  | 'jwt'
  | 'bearer-token'
  | 'basic-auth'
  | 'secret-value'
  | 'env-value';

export const mark = (kind: RedactionKind) => `[REDACTED:${kind}]`;

interface Rule {
  kind: RedactionKind;
  re: RegExp;
  /** Replacement for a match: keeps the non-secret groups. */
  replace: (m: RegExpExecArray) => string;
}

export const RULES: Rule[] = [
  // Azure storage / service bus connection strings: AccountKey=..., SharedAccessKey=..., sig=...
  {
    kind: 'azure-connection-string',
    re: /\b(AccountKey|SharedAccessKey|SharedAccessSignature|sig)=([A-Za-z0-9+/%]{16,}={0,2})/g,
    replace: (m) => `${m[1]}=${mark('azure-connection-string')}`,
  },
  // user:password@ in any URL-like connection string (postgres://, mongodb+srv://, amqp://, redis://, https://).
  {
    kind: 'connection-string-password',
    re: /\b([a-zA-Z][a-zA-Z0-9+.-]{1,20}:\/\/[^\s:/@]{0,128}:)([^\s@/]{1,256})@/g,
    replace: (m) => `${m[1]}${mark('connection-string-password')}@`,
  },
  // ADO.NET / JDBC style: Password=...; Pwd=...
  {
    kind: 'connection-string-password',
    re: /\b(Password|Pwd)=([^;\s"']{1,256})/gi,
    replace: (m) => `${m[1]}=${mark('connection-string-password')}`,
  },
  {
    kind: 'aws-access-key-id',
    re: /\b((?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16})\b/g,
    replace: () => mark('aws-access-key-id'),
  },
  // GCP service account JSON: the private key id (the private key itself is a PEM block, handled apart).
  {
    kind: 'gcp-service-account',
    re: /("private_key_id"\s{0,8}:\s{0,8}")([0-9a-f]{40})"/g,
    replace: (m) => `${m[1]}${mark('gcp-service-account')}"`,
  },
  {
    kind: 'jwt',
    re: /\beyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,4096}/g,
    replace: () => mark('jwt'),
  },
  {
    kind: 'bearer-token',
    re: /\b(Bearer) ([A-Za-z0-9._~+/-]{8,4096}=*)/gi,
    replace: (m) => `${m[1]} ${mark('bearer-token')}`,
  },
  {
    kind: 'basic-auth',
    re: /\b(Basic) ([A-Za-z0-9+/]{12,4096}={0,2})/g,
    replace: (m) => `${m[1]} ${mark('basic-auth')}`,
  },
];

/** Words that make the value after them a secret: password=..., "api_key": "...", token: ... */
export const SECRET_WORD =
  /password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?key|credential|auth[_-]?key/gi;
/** Environment variable names whose value is a secret. */
export const SECRET_ENV_NAME =
  /PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL|_PWD$|^PWD_|AUTH|_KEY$|^KEY_/i;
