// The redactor on its own: every kind of the corpus, PEM blocks across lines and stream chunks,
// objects (env values, last-applied annotations), lines that must stay as they are, and hostile
// input that must not make it hang.
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, test } from 'vitest';
import { Redactor } from '../../src/redact/redact.js';
import { PLANTED_LINES, SECRET_LOG, SECRETS, survivors, wrappings } from './corpus.js';

describe('Redactor', () => {
  test('every secret of the corpus log is replaced, line by line, and the crash lines are untouched', () => {
    const r = new Redactor();
    const out = SECRET_LOG.split('\n')
      .map((l) => r.line(l))
      .join('\n');
    expect(survivors(out)).toEqual([]);
    expect(out).toContain('runtime: failed to create new OS thread (have 41 already; errno=11)');
    expect(out).toContain(
      'postgres://checkout:[REDACTED:connection-string-password]@db.shop.svc:5432/orders',
    );
    expect(out).toContain('Authorization: Bearer [REDACTED:github-token]');
    // The counts hold numbers only.
    expect(JSON.stringify(r.counts)).not.toMatch(/hunter2|AKIA/);
    expect(r.counts['private-key']).toBe(2);
  });

  test('a private key split across stream chunks is removed whole, and does not leak into the next log', async () => {
    const shared = new Redactor();
    const pem =
      '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oDAmNTUvuc4LoAoGCCqGSM49\nAwEHoUQDQgAEbe8y\n-----END EC PRIVATE KEY-----\nafter the key\n';
    const chunks = [pem.slice(0, 40), pem.slice(40, 77), pem.slice(77)];
    const out = await text(Readable.from(chunks.map((c) => Buffer.from(c))).pipe(shared.stream()));
    expect(out).not.toContain('MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oDAmNTUvuc4LoAoGCCqGSM49');
    expect(out).not.toContain('AwEHoUQDQgAEbe8y');
    expect(out).toContain('after the key');
    // A second log redacted with the same tally starts outside any key block.
    const other = await text(Readable.from([Buffer.from('plain line\n')]).pipe(shared.stream()));
    expect(other).toBe('plain line\n');
  });

  test('a UTF-8 character cut between chunks survives', async () => {
    const bytes = Buffer.from('Größe überschritten\n');
    const out = await text(
      Readable.from([bytes.subarray(0, 3), bytes.subarray(3)]).pipe(new Redactor().stream()),
    );
    expect(out).toBe('Größe überschritten\n');
  });

  test('objects: secret-looking env values and last-applied annotations are redacted, references and plain values kept', () => {
    const r = new Redactor();
    const pod = {
      metadata: {
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({
            spec: { containers: [{ env: [{ name: 'STRIPE_SECRET', value: SECRETS.lastApplied }] }] },
          }),
        },
      },
      spec: {
        containers: [
          {
            env: [
              { name: 'DB_PASSWORD', value: SECRETS.envPassword },
              { name: 'GITHUB_TOKEN', value: SECRETS.envToken },
              { name: 'LOG_LEVEL', value: 'debug' },
              { name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'payment', key: 'api-key' } } },
            ],
            args: [`--db=postgres://app:${SECRETS.pgPassword}@db:5432/x`],
          },
        ],
      },
    };
    const out = JSON.stringify(r.object(pod));
    for (const s of [SECRETS.lastApplied, SECRETS.envPassword, SECRETS.envToken, SECRETS.pgPassword])
      expect(out).not.toContain(s);
    expect(out).toContain('"LOG_LEVEL","value":"debug"');
    expect(out).toContain('"secretKeyRef"');
    expect(r.counts['env-value']).toBe(3);
  });

  test('words that only look like secrets are left alone', () => {
    const r = new Redactor();
    for (const line of [
      'token bucket refilled: 10 tokens',
      'Liveness probe failed: Get "http://192.168.10.7:8080/healthz": context deadline exceeded',
      'secret: null',
      'passwordless login enabled',
    ]) {
      expect(r.line(line)).toBe(line);
    }
  });

  test('hostile input (long runs of keyword fragments, many BEGIN markers) returns', () => {
    const r = new Redactor();
    const inputs = [
      'passwordpasswordpassword'.repeat(5000),
      'token'.repeat(20000) + '=',
      '-----BEGIN PRIVATE KEY-----'.repeat(3000),
      'x-----BEGIN PRIVATE KEY-----k-----END PRIVATE KEY-----'.repeat(30000),
      'a://'.repeat(20000) + 'x:y',
      'eyJ' + 'a'.repeat(100000),
      'Bearer '.repeat(20000),
    ];
    for (const s of inputs) expect(typeof r.text(s)).toBe('string');
  });
});

describe('Redactor: the families of issue 11', () => {
  test.each(PLANTED_LINES.flatMap((l) => wrappings(l).map((w, i) => [i, w] as const)))(
    'wrapping %i: %s',
    (_i, line) => {
      const r = new Redactor();
      const out = r.line(line);
      expect(survivors(out)).toEqual([]);
      expect(out).toMatch(/\[REDACTED:[a-z0-9-]+\]/);
    },
  );

  test('each family is counted under its own rule, and only numbers are kept', () => {
    const r = new Redactor();
    for (const l of PLANTED_LINES) r.line(l);
    const missing = [
      'github-token',
      'slack-token',
      'slack-webhook',
      'google-api-key',
      'aws-presigned-signature',
      'docker-auth',
      'base64-secret',
      'sentry-dsn',
      'stripe-key',
      'basic-auth',
      'bearer-token',
      'aws-secret-key',
      'secret-arg',
      'url-encoded-secret',
    ].filter((kind) => !(Number(r.counts[kind as keyof typeof r.counts]) > 0));
    expect(missing).toEqual([]);
    expect(Object.values(r.counts).every((n) => typeof n === 'number')).toBe(true);
  });

  test('words that merely sit near secret words stay readable', () => {
    const r = new Redactor();
    for (const line of [
      'bearer authentication failed for user bob',
      'basic auth is disabled',
      'max_tokens: 1000 cache_key=user:42 PWD=/app',
      'TOKEN_TTL=3600 SECRET_NAME=payment secretKeyRef: payment',
      'tests passed: 3, bypass: false',
      'GET /healthz 200 in 3ms',
    ])
      expect(r.line(line)).toBe(line);
  });

  test('no secret survives a line cut at the stream limit, whatever sits at the cut', async () => {
    const framings = [
      (s: string) => `password=${s}`,
      (s: string) => `Authorization: Bearer ${s}`,
      (s: string) => `--password ${s}`,
      (s: string) => `"token": "${s}"`,
      (s: string) => `x ${s} y`,
    ];
    const secret = SECRETS.ghp;
    const limit = 4096;
    for (const frame of framings) {
      const planted = frame(secret);
      // Every offset of the planted text across the cut.
      for (let at = 0; at <= planted.length; at++) {
        const filler = 'a '.repeat(limit).slice(0, limit - at);
        const line = `${filler}${planted} tail\n`;
        const out = await text(Readable.from([Buffer.from(line)]).pipe(new Redactor().stream(limit)));
        expect(
          out.includes(secret.slice(0, 12)) || out.includes(secret.slice(-12)),
          `${planted} at ${at}`,
        ).toBe(false);
        expect(out.replace(/\[REDACTED:[a-z-]+\]/g, '').length).toBeLessThan(line.length);
      }
    }
  });

  test('objects: secret env names, args, annotations, owner templates and Secret data', () => {
    const r = new Redactor();
    const template = {
      spec: {
        containers: [
          {
            name: 'app',
            command: ['sh', '-c', `mysql -uroot -p${SECRETS.argMysqlP} -e 'select 1'`],
            args: [
              '--password',
              SECRETS.argPasswordSpace,
              `--db-password=${SECRETS.argPasswordEquals}`,
              `-p${SECRETS.argMysqlP}`,
              '--port',
              '5432',
            ],
            env: [
              { name: 'DB_PASS', value: SECRETS.envPass },
              { name: 'SLACK_WEBHOOK_URL', value: SECRETS.envWebhook },
              { name: 'SENTRY_DSN', value: SECRETS.envDsn },
              { name: 'STRIPE_SK', value: SECRETS.envSk },
              { name: 'OWNER_DB_PASSWORD', value: SECRETS.ownerTemplatePass },
              { name: 'LOG_LEVEL', value: 'debug' },
            ],
          },
        ],
      },
    };
    const objects = [
      {
        kind: 'Pod',
        metadata: {
          annotations: {
            'example.com/api-token': SECRETS.annotationToken,
            'example.com/owner': 'team-shop',
            'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ metadata: {}, ...template }),
          },
        },
        ...template,
      },
      { kind: 'Deployment', spec: { template } },
      {
        kind: 'Secret',
        data: { '.dockerconfigjson': Buffer.from('x').toString('base64') },
        stringData: { pw: SECRETS.envPass },
      },
    ];
    const out = JSON.stringify(r.object(objects));
    expect(survivors(out)).toEqual([]);
    expect(out).toContain('"LOG_LEVEL","value":"debug"');
    expect(out).toContain('"team-shop"');
    expect(out).toContain('"--port","5432"');
    expect(r.counts['secret-object']).toBe(2);
  });

  test('output length stays within a bound of the input', () => {
    const r = new Redactor();
    const dense = 'pwd=x '.repeat(2000) + '-px '.repeat(2000);
    expect(r.text(dense).length).toBeLessThanOrEqual(dense.length * 10 + 64);
  });
});
