// A redaction corpus: secrets of every family the bundle must not carry, in the shapes they take in
// real logs and objects. The values are fakes in the documented formats (AWS's own example key pair
// from its docs, a JWT of jwt.io's layout, generated throwaway strings), never real credentials.
const b64 = (s: string) => Buffer.from(s).toString('base64');
/** A deterministic string of `n` characters from `alphabet` (fakes of the right length and class). */
const fake = (seed: string, n: number, alphabet = 'A1b2C3d4E5f6G7h8J9k0LmNpQrStUvWxYz') => {
  let out = '';
  let h = 7;
  for (let i = 0; out.length < n; i++) {
    h = (h * 31 + seed.charCodeAt(i % seed.length) + i) % 1_000_003;
    out += alphabet[h % alphabet.length];
  }
  return out;
};

export const SECRETS = {
  awsKeyId: 'AKIAIOSFODNN7EXAMPLE',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  gcpKeyId: '8f3c1e5d9a7b2c4e6f8a0b1c3d5e7f9a1b3c5d7e',
  gcpKeyBody: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
  azureKey: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  pgPassword: 'S3cr3t-Pg-pass',
  mongoPassword: 'm0ngoPa55word',
  adoPassword: 'AdoNetP4ss!',
  jwt: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  bearer: 'ghp_R4nd0mT0k3nV4lu3F0rT3st1ng0nlyXY12',
  basic: 'YWRtaW46c3VwZXJzZWNyZXRwYXNz',
  logPassword: 'hunter2-log-password',
  apiKey: 'sk_live_51HxTestKeyValue9988',
  envPassword: 'env-db-password-7731',
  envToken: 'env-slack-token-xoxb-2231',
  lastApplied: 'last-applied-secret-0042',
  rsaLine: 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
  // The families the first bundle let through (issue 11).
  ghp: `ghp_${fake('ghp', 36)}`,
  githubPat: `github_pat_11${fake('pat1', 20)}_${fake('pat2', 59)}`,
  ghs: `ghs_${fake('ghs', 36)}`,
  gho: `gho_${fake('gho', 36)}`,
  ghInUrl: `ghp_${fake('url', 36)}`,
  ghTokenHeader: `ghs_${fake('hdr', 36)}`,
  slackBot: `xoxb-${fake('sb1', 12, '0123456789')}-${fake('sb2', 13, '0123456789')}-${fake('sb3', 24)}`,
  slackUser: `xoxp-${fake('su1', 12, '0123456789')}-${fake('su2', 12, '0123456789')}-${fake('su3', 32, '0123456789abcdef')}`,
  slackWebhook: `T0${fake('w1', 8)}/B0${fake('w2', 9)}/${fake('w3', 24)}`,
  googleKey: `AIza${fake('gk', 35)}`,
  presignedSig: fake('sig', 64, '0123456789abcdef'),
  presignedToken: `IQoJb3JpZ2luX2VjE${fake('stok', 60)}`,
  dockerAuthPair: 'robot$deployer:Dk3r-pa55-w0rd',
  dockerConfigPassword: 'DockerCfgPass-9931',
  sentryKey: fake('sentry', 32, '0123456789abcdef'),
  stripeLive: `sk_live_${fake('stripe', 24)}`,
  stripeRestricted: `rk_live_${fake('rk', 24)}`,
  lowerBasicPair: 'svc:basic-lower-pass-77',
  lowerBearer: `tok.${fake('lb', 30)}`,
  urlEncodedPassword: 'p@ss:w/rd&x=1!',
  jsonEscapedPassword: 'js"on\\pass-4410',
  awsSecretBeside: `${fake('aws2', 19)}/${fake('aws3', 20)}`,
  envPass: 'env-pass-value-1190',
  envWebhook: `https://hooks.example.com/incoming/${fake('hook', 30)}`,
  envDsn: `https://${fake('dsn', 32, '0123456789abcdef')}@o12345.ingest.sentry.io/67890`,
  envSk: `stripe-sk-${fake('esk', 20)}`,
  argPasswordSpace: 'arg-space-pass-2281',
  argPasswordEquals: 'arg-eq-pass-3392',
  argMysqlP: 'MysqlGlued9921',
  annotationToken: 'annotation-token-5512',
  ownerTemplatePass: 'owner-template-pass-6623',
  eventSecret: `ghp_${fake('event', 36)}`,
} as const;

export type SecretName = keyof typeof SECRETS;
const S = SECRETS;

export const DOCKER_AUTH = b64(S.dockerAuthPair);
export const DOCKER_CONFIG_JSON = b64(
  JSON.stringify({
    auths: {
      'registry.example.com': {
        username: 'robot',
        password: S.dockerConfigPassword,
        auth: b64(`robot:${S.dockerConfigPassword}`),
      },
    },
  }),
);

/** Log lines, each planting secrets in one framing. */
export const PLANTED_LINES: string[] = [
  `DEBUG aws: using credentials ${S.awsKeyId} aws_secret_access_key=${S.awsSecret}`,
  `DEBUG connecting to postgres://checkout:${S.pgPassword}@db.shop.svc:5432/orders?sslmode=require`,
  `DEBUG mongo uri mongodb+srv://app:${S.mongoPassword}@cluster0.mongodb.net/test`,
  `DEBUG sql: Server=tcp:db.database.windows.net,1433;Database=orders;User ID=app;Password=${S.adoPassword};Encrypt=true`,
  `DEBUG blob: DefaultEndpointsProtocol=https;AccountName=shopstore;AccountKey=${S.azureKey};EndpointSuffix=core.windows.net`,
  `DEBUG request headers: Authorization: Bearer ${S.bearer}`,
  `DEBUG upstream auth Authorization: Basic ${S.basic}`,
  `DEBUG session jwt=${S.jwt}`,
  `WARN login failed user=admin password=${S.logPassword}`,
  `DEBUG payment client {"api_key": "${S.apiKey}", "timeout": 30}`,
  `DEBUG gcp creds {"type": "service_account", "private_key_id": "${S.gcpKeyId}", "private_key": "-----BEGIN PRIVATE KEY-----\\n${S.gcpKeyBody}\\n-----END PRIVATE KEY-----\\n"}`,
  `INFO git clone using ${S.ghp}`,
  `INFO fine-grained token ${S.githubPat} loaded`,
  `INFO actions token: ${S.ghs}`,
  `INFO oauth ${S.gho} refreshed`,
  `INFO cloning https://x-access-token:${S.ghInUrl}@github.com/shop/checkout.git`,
  `DEBUG > GET /repos/shop/checkout Authorization: token ${S.ghTokenHeader}`,
  `INFO slack client ready with ${S.slackBot}`,
  `INFO slack user ${S.slackUser}`,
  `INFO posting alert to https://hooks.slack.com/services/${S.slackWebhook}`,
  `DEBUG GET https://maps.googleapis.com/maps/api/geocode/json?address=x&key=${S.googleKey}`,
  `INFO uploading to https://bucket.s3.amazonaws.com/a.tar?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${S.awsKeyId}%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=${S.presignedToken}&X-Amz-Signature=${S.presignedSig}`,
  `DEBUG docker config {"auths":{"registry.example.com":{"auth":"${DOCKER_AUTH}"}}}`,
  `DEBUG pull secret .dockerconfigjson: ${DOCKER_CONFIG_JSON}`,
  `INFO sentry enabled dsn https://${S.sentryKey}@o450000.ingest.sentry.io/5500000`,
  `DEBUG stripe ${S.stripeLive} restricted ${S.stripeRestricted}`,
  `DEBUG proxy authorization: basic ${b64(S.lowerBasicPair)}`,
  `DEBUG upstream authorization: bearer ${S.lowerBearer}`,
  `DEBUG login form body user=admin&password=${encodeURIComponent(S.urlEncodedPassword)}&remember=1`,
  `DEBUG redirect to /login?next=%2Fadmin%3Fpassword%3D${encodeURIComponent(encodeURIComponent(S.urlEncodedPassword))}`,
  `DEBUG config {"db":{"user":"app","password":${JSON.stringify(S.jsonEscapedPassword)}}}`,
  `DEBUG nested {"payload":${JSON.stringify(JSON.stringify({ password: S.jsonEscapedPassword }))}}`,
  `DEBUG creds ${S.awsKeyId} ${S.awsSecretBeside}`,
  `INFO exec mysql -uroot -p${S.argMysqlP} -h db`,
  `INFO exec migrate --password ${S.argPasswordSpace} --db-password=${S.argPasswordEquals}`,
];

/** Three wrappings a log line takes on its way: inside a Docker json-file record, URL-encoded, base64. */
export function wrappings(line: string): string[] {
  return [
    line,
    JSON.stringify({ log: `${line}\n`, stream: 'stdout', time: '2024-05-01T10:00:00Z' }),
    `INFO callback next=${encodeURIComponent(line)}`,
    `DEBUG payload=${b64(line)}`,
  ];
}

/** Every form a secret may take in an output file: raw, base64, URL-encoded, JSON-escaped. */
export function forms(secret: string): string[] {
  const out = new Set<string>([
    secret,
    b64(secret),
    Buffer.from(secret).toString('base64url'),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
    JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1),
  ]);
  return [...out].filter((f) => f.length >= 8);
}

/**
 * The names of the secrets found in `text` in any form, looking also inside every base64 run and
 * URL-decoded run of it (a secret may be re-encoded on its way out).
 */
export function survivors(
  text: string,
  names: readonly SecretName[] = Object.keys(SECRETS) as SecretName[],
): SecretName[] {
  const views = [text];
  for (const run of text.match(/[A-Za-z0-9+/_-]{16,}={0,2}/g) ?? [])
    views.push(Buffer.from(run, 'base64').toString('latin1'));
  views.push(text.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
  return names.filter((n) => views.some((v) => forms(SECRETS[n]).some((f) => v.includes(f))));
}

export const SECRET_LOG =
  [
    'INFO starting checkout with config from env',
    ...PLANTED_LINES.slice(0, 11),
    'ERROR tls: loaded key',
    '-----BEGIN RSA PRIVATE KEY-----',
    SECRETS.rsaLine,
    'pQ2Wm3S1XY0A8c4bT2hG5nD6kL1pQ7rS9tU3vW5xY7zA2bC4dE6fG8hJ0kL2mN4o',
    '-----END RSA PRIVATE KEY-----',
    ...PLANTED_LINES.slice(11).flatMap(wrappings),
    'runtime: failed to create new OS thread (have 41 already; errno=11)',
    'fatal error: newosproc',
  ].join('\n') + '\n';
