// The redactor on its own: every kind of the corpus, PEM blocks across lines and stream chunks,
// objects (env values, last-applied annotations), lines that must stay as they are, and hostile
// input that must not make it hang.
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, test } from 'vitest';
import { Redactor } from '../../src/redact/redact.js';
import { SECRET_LOG, SECRETS } from './corpus.js';

describe('Redactor', () => {
  test('every secret of the corpus log is replaced, line by line, and the crash lines are untouched', () => {
    const r = new Redactor();
    const out = SECRET_LOG.split('\n')
      .map((l) => r.line(l))
      .join('\n');
    for (const [kind, secret] of Object.entries(SECRETS)) {
      if (['envPassword', 'envToken', 'lastApplied'].includes(kind)) continue; // object-only secrets
      expect(out, kind).not.toContain(secret);
    }
    expect(out).toContain('runtime: failed to create new OS thread (have 41 already; errno=11)');
    expect(out).toContain(
      'postgres://checkout:[REDACTED:connection-string-password]@db.shop.svc:5432/orders',
    );
    expect(out).toContain('Authorization: Bearer [REDACTED:bearer-token]');
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
