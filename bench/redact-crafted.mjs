// Inputs for the redactor benchmark and its linearity test: plain log lines, and crafted lines that
// repeat each rule's prefix with the characters its run consumes (the shape that made a bounded
// quantifier restart at every occurrence: `eyJ-eyJ-...` cost 3.4 µs per byte before).
/* global Buffer */

/** Plain, realistic log text of about `bytes` bytes (a few secrets sprinkled in, as real logs have). */
export function plainLog(bytes) {
  const lines = [
    '2024-05-01T10:00:00.123Z INFO  http GET /api/v1/orders/8812 200 12ms user=4411 trace=9f8e7d6c5b4a',
    '2024-05-01T10:00:00.456Z DEBUG db  query "SELECT id, total FROM orders WHERE user_id = $1" took 3ms',
    '2024-05-01T10:00:01.001Z WARN  cache miss key=orders:user:4411 ttl=300 backend=redis://cache:6379/0',
    '{"level":"info","ts":1714557601.2,"msg":"reconciled","controller":"deployment","namespace":"shop","name":"checkout"}',
    '2024-05-01T10:00:02.000Z INFO  upstream authorization: bearer tok.abcdefghijklmnop1234 accepted',
  ];
  const parts = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const l = lines[i % lines.length];
    parts.push(l);
    n += l.length + 1;
  }
  return parts.join('\n') + '\n';
}

/** The crafted shapes, each about `bytes` bytes on one line. */
export function craftedLines(bytes) {
  const unit = {
    'jwt-prefix': 'eyJ-',
    'jwt-dots': 'eyJa.',
    'github-prefix': 'ghp_',
    'slack-prefix': 'xoxb-',
    'google-prefix': 'AIza',
    'stripe-prefix': 'sk_live_',
    'url-userinfo': 'a://b:',
    'bearer-repeat': 'Bearer ',
    'assignment-run': 'password-',
    'flag-run': '--password ',
    'base64-run': 'QUFB',
    'url-encoded': '%3D%3A',
    'quote-escapes': 'password=\\"\\\\"',
    'pem-begin': '-----BEGIN PRIVATE KEY-----',
  };
  const out = {};
  for (const [name, u] of Object.entries(unit))
    out[name] = u.repeat(Math.ceil(bytes / u.length)).slice(0, bytes);
  return out;
}

export const MiB = 1024 * 1024;
export const bytesOf = (s) => Buffer.byteLength(s);
