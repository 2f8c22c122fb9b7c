// Redaction of what goes into a bundle: log text line by line (a PEM private key block spans lines,
// so the redactor keeps that one bit of state), and API objects walked field by field (env values of
// secret-looking variables, secret-looking keys, and every string through the text rules). It counts
// what it removed by kind; the values themselves are never kept anywhere.
import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { mark, RULES, SECRET_ENV_NAME, SECRET_WORD, type RedactionKind } from './patterns.js';

const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]{0,40})PRIVATE KEY( BLOCK)?-----/;
const PEM_END = /-----END ([A-Z0-9 ]{0,40})PRIVATE KEY( BLOCK)?-----/;
const IDENT_TAIL = /[A-Za-z0-9_.-]*/y;
/** After a secret word: optional closing quote, then = or :, then an optional opening quote. */
const ASSIGN = /"?\s{0,8}[=:]\s{0,8}(["']?)/y;
const VALUE_UNQUOTED = /[^\s"',;&)}\]]{1,512}/y;

export class Redactor {
  private inPem = false;

  /** counts may be shared: each log stream gets its own line state but one tally. */
  constructor(readonly counts: Partial<Record<RedactionKind, number>> = {}) {}

  private count(kind: RedactionKind, n = 1): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + n;
  }

  /** Redacts one line of a log (no newline inside); keeps PEM state across calls. */
  line(text: string): string {
    if (this.inPem) {
      if (PEM_END.test(text)) {
        this.inPem = false;
        return text.replace(/^.*-----END/, `${mark('private-key')} -----END`);
      }
      return mark('private-key');
    }
    return this.text(text);
  }

  /** Redacts a string that may hold several lines (an object field, a whole small file). */
  text(input: string): string {
    let s = this.pemBlocks(input);
    for (const rule of RULES) {
      rule.re.lastIndex = 0;
      s = s.replace(rule.re, (...args) => {
        const m = args.slice(0, -2) as unknown as RegExpExecArray;
        this.count(rule.kind);
        return rule.replace(m);
      });
    }
    return this.secretAssignments(s);
  }

  /** Private key blocks, one pass left to right (a regex with a lazy body is quadratic on many BEGINs). */
  private pemBlocks(input: string): string {
    let s = input;
    let out = '';
    for (;;) {
      const begin = PEM_BEGIN.exec(s);
      if (!begin) return out + s;
      const afterBegin = begin.index + begin[0].length;
      const rest = s.slice(afterBegin);
      const end = PEM_END.exec(rest);
      this.count('private-key');
      if (!end) {
        // The block goes on past this text (a log line): everything after BEGIN, and the next lines, is key.
        this.inPem = true;
        return `${out}${s.slice(0, afterBegin)}${mark('private-key')}`;
      }
      out += `${s.slice(0, afterBegin)}${mark('private-key')}${end[0]}`;
      s = rest.slice(end.index + end[0].length);
    }
  }

  /** password=..., "token": "...", api_key: ..., with the word anywhere in the key's identifier. */
  private secretAssignments(s: string): string {
    SECRET_WORD.lastIndex = 0;
    let out = '';
    let copied = 0;
    let m: RegExpExecArray | null;
    while ((m = SECRET_WORD.exec(s)) !== null) {
      IDENT_TAIL.lastIndex = m.index + m[0].length;
      IDENT_TAIL.exec(s);
      const identEnd = IDENT_TAIL.lastIndex;
      SECRET_WORD.lastIndex = Math.max(identEnd, m.index + 1); // never rescan the same identifier
      ASSIGN.lastIndex = identEnd;
      const a = ASSIGN.exec(s);
      if (!a) continue;
      const valueStart = ASSIGN.lastIndex;
      let valueEnd: number;
      if (a[1]) {
        const close = s.indexOf(a[1], valueStart);
        valueEnd = close === -1 ? Math.min(s.length, valueStart + 512) : close;
      } else {
        VALUE_UNQUOTED.lastIndex = valueStart;
        if (!VALUE_UNQUOTED.exec(s)) continue;
        valueEnd = VALUE_UNQUOTED.lastIndex;
      }
      const value = s.slice(valueStart, valueEnd);
      if (
        value.length === 0 ||
        value.startsWith('[REDACTED:') ||
        /^(?:null|nil|<nil>|none|true|false|\*+)$/i.test(value)
      )
        continue;
      const ident = s.slice(wordStart(s, m.index), identEnd);
      const kind: RedactionKind = /aws/i.test(ident) ? 'aws-secret-key' : 'secret-value';
      this.count(kind);
      out += s.slice(copied, valueStart) + mark(kind);
      copied = valueEnd;
      SECRET_WORD.lastIndex = Math.max(SECRET_WORD.lastIndex, valueEnd);
    }
    return copied === 0 ? s : out + s.slice(copied);
  }

  /** Walks an API object (wire JSON) and returns a redacted copy. */
  object<T>(value: T): T {
    return this.walk(value, undefined) as T;
  }

  private walk(v: unknown, key: string | undefined): unknown {
    if (typeof v === 'string') {
      if (key === 'kubectl.kubernetes.io/last-applied-configuration') {
        try {
          return JSON.stringify(this.walk(JSON.parse(v), undefined));
        } catch {
          return this.text(v);
        }
      }
      if (key !== undefined && isSecretKey(key) && v.length > 0) {
        this.count('secret-value');
        return mark('secret-value');
      }
      return this.text(v);
    }
    if (Array.isArray(v)) return v.map((x) => this.walk(x, undefined));
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // An env entry: {name: DB_PASSWORD, value: ...}. valueFrom (a reference to a Secret) is kept.
      if (
        typeof o.name === 'string' &&
        typeof o.value === 'string' &&
        SECRET_ENV_NAME.test(o.name) &&
        o.value.length > 0
      ) {
        this.count('env-value');
        return { ...o, value: mark('env-value') };
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) out[k] = this.walk(x, k);
      return out;
    }
    return v;
  }

  /** A stream transform that redacts a log line by line (lines longer than maxLine are cut and redacted in pieces). */
  stream(maxLine = 1 << 20): Transform {
    const own = new Redactor(this.counts); // a PEM block open in one log must not swallow another's lines
    let carry = '';
    const decoder = new StringDecoder('utf8'); // a UTF-8 character cut between chunks stays whole
    const flushLines = (push: (s: string) => void, final: boolean) => {
      let nl: number;
      while ((nl = carry.indexOf('\n')) !== -1) {
        push(own.line(carry.slice(0, nl)) + '\n');
        carry = carry.slice(nl + 1);
      }
      if (carry.length > maxLine || (final && carry.length > 0)) {
        push(own.line(carry));
        carry = '';
      }
    };
    return new Transform({
      transform(chunk: Buffer | string, _enc: BufferEncoding, cb: TransformCallback) {
        carry += typeof chunk === 'string' ? chunk : decoder.write(chunk);
        flushLines((s) => this.push(s), false);
        cb();
      },
      flush(cb: TransformCallback) {
        carry += decoder.end();
        flushLines((s) => this.push(s), true);
        cb();
      },
    });
  }
}

function wordStart(s: string, from: number): number {
  let i = from;
  while (i > 0 && /[A-Za-z0-9_.-]/.test(s[i - 1]!) && from - i < 128) i--;
  return i;
}

/** An object key whose string value is a secret (password, clientSecret, token...), but not e.g. tokenExpiry counts. */
function isSecretKey(key: string): boolean {
  return /^(?:password|passwd|secret|token|apiKey|api_key|accessKey|secretKey|clientSecret|client_secret|privateKey|private_key|credentials?|auth)$/i.test(
    key,
  );
}

export function totalRedactions(counts: Partial<Record<RedactionKind, number>>): number {
  return Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
}
