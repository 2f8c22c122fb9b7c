// A redaction corpus: one secret of every kind the bundle must not carry, in the shapes they take in
// real logs and objects. The values are fakes in the documented formats (AWS's own example key pair
// from its docs, a JWT of jwt.io's layout, a generated throwaway RSA key), never real credentials.
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
  bearer: 'ghp_R4nd0mT0k3nV4lu3F0rT3st1ng0nly',
  basic: 'YWRtaW46c3VwZXJzZWNyZXRwYXNz',
  logPassword: 'hunter2-log-password',
  apiKey: 'sk_live_51HxTestKeyValue9988',
  envPassword: 'env-db-password-7731',
  envToken: 'env-slack-token-xoxb-2231',
  lastApplied: 'last-applied-secret-0042',
  rsaLine: 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
} as const;

export const SECRET_LOG =
  [
    'INFO starting checkout with config from env',
    `DEBUG aws: using credentials ${SECRETS.awsKeyId} aws_secret_access_key=${SECRETS.awsSecret}`,
    `DEBUG connecting to postgres://checkout:${SECRETS.pgPassword}@db.shop.svc:5432/orders?sslmode=require`,
    `DEBUG mongo uri mongodb+srv://app:${SECRETS.mongoPassword}@cluster0.mongodb.net/test`,
    `DEBUG sql: Server=tcp:db.database.windows.net,1433;Database=orders;User ID=app;Password=${SECRETS.adoPassword};Encrypt=true`,
    `DEBUG blob: DefaultEndpointsProtocol=https;AccountName=shopstore;AccountKey=${SECRETS.azureKey};EndpointSuffix=core.windows.net`,
    `DEBUG request headers: Authorization: Bearer ${SECRETS.bearer}`,
    `DEBUG upstream auth Authorization: Basic ${SECRETS.basic}`,
    `DEBUG session jwt=${SECRETS.jwt}`,
    `WARN login failed user=admin password=${SECRETS.logPassword}`,
    `DEBUG payment client {"api_key": "${SECRETS.apiKey}", "timeout": 30}`,
    `DEBUG gcp creds {"type": "service_account", "private_key_id": "${SECRETS.gcpKeyId}", "private_key": "-----BEGIN PRIVATE KEY-----\\n${SECRETS.gcpKeyBody}\\n-----END PRIVATE KEY-----\\n"}`,
    'ERROR tls: loaded key',
    '-----BEGIN RSA PRIVATE KEY-----',
    SECRETS.rsaLine,
    'pQ2Wm3S1XY0A8c4bT2hG5nD6kL1pQ7rS9tU3vW5xY7zA2bC4dE6fG8hJ0kL2mN4o',
    '-----END RSA PRIVATE KEY-----',
    'runtime: failed to create new OS thread (have 41 already; errno=11)',
    'fatal error: newosproc',
  ].join('\n') + '\n';
