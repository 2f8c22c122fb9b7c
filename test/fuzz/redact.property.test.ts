// Properties of the redactor: no planted secret survives any framing (random text around it, any
// wrapping: Docker json-file, URL-encoded, base64), the output stays within a bound of the input,
// nothing throws, and crafted input costs about what plain input costs per byte.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Redactor } from '../../src/redact/redact.js';
import { PLANTED_LINES, survivors, wrappings } from '../redact/corpus.js';
import { FUZZ } from './settings.js';

/** Text around a planted line: log-ish words and separators, never a credential of its own. */
const noise = fc.stringMatching(/^[a-z0-9 .,;:=\-_/(){}[\]"'|]{0,40}$/);

describe('redactor properties', () => {
  test('no planted secret survives any framing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PLANTED_LINES),
        fc.integer({ min: 0, max: 3 }),
        noise,
        noise,
        (line, wrap, before, after) => {
          // A separator between the noise and the line: glued text is another token, not this secret's framing.
          const framed = wrappings(`${before} ${line} ${after}`)[wrap]!;
          const out = new Redactor().line(framed);
          expect(survivors(out)).toEqual([]);
        },
      ),
      FUZZ,
    );
  });

  test('any text: never throws, output within 10x + 64 of the input, redacting twice changes nothing more', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 400 }), fc.stringMatching(/^[A-Za-z0-9_=:"\\/%.@ -]{0,400}$/)),
        (s) => {
          const r = new Redactor();
          const out = r.text(s);
          expect(out.length).toBeLessThanOrEqual(s.length * 10 + 64);
          expect(new Redactor().text(out)).toBe(out);
        },
      ),
      FUZZ,
    );
  });

  test('any object: never throws, every string in it is redacted as text', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const out = new Redactor().object(v);
        expect(JSON.stringify(out) !== undefined || v === undefined).toBe(true);
      }),
      FUZZ,
    );
  });
  // The cost per byte on crafted lines is measured, not asserted: bench/redact-throughput.mjs prints it
  // beside plain text (tests never assert a time, CPU or wall clock).
});
