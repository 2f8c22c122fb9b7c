// Redaction of what goes into a bundle: log text line by line (a PEM private key block spans lines,
// so the redactor keeps that one bit of state), and API objects walked field by field (Secret data,
// env values of secret-looking variables, secret flags in args, annotations, last-applied
// configurations, and every string through the text rules). Text is matched as written, then once
// more decoded where a secret hides behind URL encoding or base64 (a docker config, a basic-auth
// pair). It counts what it removed by rule; the values themselves are never kept anywhere.
import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import {
  AWS_SECRET_BESIDE_ID,
  isPlaceholder,
  isSecretName,
  mark,
  MARK_PREFIX,
  RULES,
  type RedactionKind,
} from './patterns.js';
import { safeCut } from './cut.js';

const PEM_BEGIN = /-----BEGIN ([A-Z0-9 ]{0,40})PRIVATE KEY( BLOCK)?-----/;
const PEM_END = /-----END ([A-Z0-9 ]{0,40})PRIVATE KEY( BLOCK)?-----/;
/**
 * A name then = or : (JSON, YAML, key=value, a URL-encoded %3D, a JSON-escaped \"key\":). One start
 * per run of name characters (the lookbehind), so the scan is linear.
 */
const ASSIGNMENT =
  /(?<![A-Za-z0-9_.-])(-{0,2}[A-Za-z][A-Za-z0-9_.-]*)(?:\\{0,4}["'])?[ \t]{0,8}(?:[=:]|%3[DdAa])/g;
/** A flag and its value as the next word: --password hunter2. */
const FLAG_SPACE = /(?<![A-Za-z0-9_-])(--?[A-Za-z][A-Za-z0-9_.-]*)[ \t]{1,8}(?=[^\s-])/g;
const FLAG_HINT = /(?:^|\s)--?[A-Za-z]/;
/** mysql -uroot -pS3cret: the password glued to -p, only where a mysql-style command line is. */
const MYSQL_P = /(?<![A-Za-z0-9_-])-p(?=[^\s\d-])([^\s"']+)/g;
const MYSQL_CONTEXT = /\b(?:mysql|mysqldump|mysqladmin|mariadb)\b|(?<![A-Za-z0-9_-])-u ?[A-Za-z0-9_]/;
const AUTH_SCHEME =
  /(?:bearer|basic|token|digest|negotiate|ntlm|aws4-hmac-sha256|apikey|sso-key)[ \t]{1,8}/iy;
const UNQUOTED = /[^\s"',;&)}\]<>]+/y;
const QUOTE_OPEN = /(\\{0,4})(["'])|%22/y;
const BASE64_RUN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{24,}={0,2}/g;
const URL_ENCODED_RUN = /(?<![^\s"'<>])[^\s"'<>]*%(?:2[02fF]|3[aAdD]|40)[^\s"'<>]*/g;
/** How many decodings deep a secret is looked for (base64 of a JSON holding a base64 auth). */
const MAX_DECODE_DEPTH = 2;
/** Objects nested deeper than this are not copied (an API object is a few levels deep). */
const MAX_OBJECT_DEPTH = 64;

type Counts = Partial<Record<RedactionKind, number>>;

export class Redactor {
  private inPem = false;

  /** counts may be shared: each log stream gets its own line state but one tally. */
  constructor(
    readonly counts: Counts = {},
    private readonly depth = 0,
  ) {}

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
  text(input: string, awsIdSeen = false): string {
    let s = this.pemBlocks(input);
    let awsId = awsIdSeen;
    for (const rule of RULES) {
      if (!rule.hint.test(s)) continue;
      rule.re.lastIndex = 0;
      s = s.replace(rule.re, (...args) => {
        const m = args.slice(0, -2) as unknown as RegExpExecArray;
        const out = rule.replace(m);
        if (out === undefined) return m[0];
        if (rule.kind === 'aws-access-key-id') awsId = true;
        // A rule may choose a narrower kind for its mark (a Sentry DSN among URL credentials).
        this.count((/\[REDACTED:([a-z0-9-]+)\]/.exec(out)?.[1] as RedactionKind | undefined) ?? rule.kind);
        return out;
      });
    }
    s = this.assignments(s);
    s = this.flags(s);
    if (awsId) s = this.awsSecretsBeside(s);
    if (this.depth < MAX_DECODE_DEPTH) {
      if (/%(?:2[02fF]|3[aAdD]|40)/.test(s)) s = this.urlEncoded(s, awsId);
      s = this.base64Hidden(s);
    }
    return s;
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

  /** password=..., "token": "...", DB_PASS: ..., \"secret\":\"...\", Authorization: Basic ... */
  private assignments(s: string): string {
    ASSIGNMENT.lastIndex = 0;
    let out = '';
    let copied = 0;
    let m: RegExpExecArray | null;
    while ((m = ASSIGNMENT.exec(s)) !== null) {
      const name = m[1]!.replace(/^-+/, '');
      if (!isSecretName(name)) continue;
      let start = ASSIGNMENT.lastIndex;
      while (s[start] === ' ' || s[start] === '\t') start++;
      const isAuthHeader = /authorization$/i.test(name);
      const value = readValue(s, start, isAuthHeader);
      if (!value || isPlaceholder(s.slice(value.start, value.end))) continue;
      const raw = s.slice(value.start, value.end);
      const kind: RedactionKind = isAuthHeader
        ? 'authorization-header'
        : /(?:^|[^a-z])auth$/i.test(name) && decodesToPair(raw)
          ? 'docker-auth'
          : /aws/i.test(name)
            ? 'aws-secret-key'
            : m[1]!.startsWith('-')
              ? 'secret-arg'
              : 'secret-value';
      this.count(kind);
      out += s.slice(copied, value.start) + mark(kind);
      copied = value.end;
      ASSIGNMENT.lastIndex = Math.max(ASSIGNMENT.lastIndex, value.end);
    }
    return copied === 0 ? s : out + s.slice(copied);
  }

  /** --password hunter2 (the value as the next word), and mysql's -pS3cret. */
  private flags(s: string): string {
    if (!FLAG_HINT.test(s)) return s;
    FLAG_SPACE.lastIndex = 0;
    let out = '';
    let copied = 0;
    let m: RegExpExecArray | null;
    while ((m = FLAG_SPACE.exec(s)) !== null) {
      if (!isSecretName(m[1]!.replace(/^-+/, ''))) continue;
      const v = readValue(s, FLAG_SPACE.lastIndex, false);
      if (!v || isPlaceholder(s.slice(v.start, v.end))) continue;
      this.count('secret-arg');
      out += s.slice(copied, v.start) + mark('secret-arg');
      copied = v.end;
      FLAG_SPACE.lastIndex = Math.max(FLAG_SPACE.lastIndex, v.end);
    }
    let result = copied === 0 ? s : out + s.slice(copied);
    if (result.includes('-p') && MYSQL_CONTEXT.test(result)) {
      MYSQL_P.lastIndex = 0;
      result = result.replace(MYSQL_P, (whole, v: string) => {
        if (isPlaceholder(v)) return whole;
        this.count('secret-arg');
        return `-p${mark('secret-arg')}`;
      });
    }
    return result;
  }

  /** An AWS secret access key printed beside its key id (40 characters of base64). */
  private awsSecretsBeside(s: string): string {
    AWS_SECRET_BESIDE_ID.lastIndex = 0;
    return s.replace(AWS_SECRET_BESIDE_ID, (k) => {
      if (!/[a-z]/.test(k) || !/[A-Z]/.test(k) || !/[0-9/+]/.test(k)) return k;
      this.count('aws-secret-key');
      return mark('aws-secret-key');
    });
  }

  /** A URL-encoded run (a redirect target, a form body) is decoded and redacted as text. */
  private urlEncoded(s: string, awsId: boolean): string {
    URL_ENCODED_RUN.lastIndex = 0;
    return s.replace(URL_ENCODED_RUN, (run) => {
      const decoded = run.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) =>
        String.fromCharCode(parseInt(h, 16)),
      );
      const inner = new Redactor({}, this.depth + 1);
      const redacted = inner.text(decoded, awsId);
      if (Object.keys(inner.counts).length === 0) return run;
      this.count('url-encoded-secret');
      // Encoded again where a raw character would change how the line reads.
      return redacted.replace(
        /[%\s"'<>]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
      );
    });
  }

  /** A base64 run that decodes to text holding a secret (a docker config, user:password) goes whole. */
  private base64Hidden(s: string): string {
    BASE64_RUN.lastIndex = 0;
    return s.replace(BASE64_RUN, (run) => {
      const decoded = Buffer.from(run, 'base64');
      if (decoded.length < 12 || !mostlyText(decoded)) return run;
      const inner = new Redactor({}, this.depth + 1);
      const text = decoded.toString('utf8');
      inner.text(text);
      if (Object.keys(inner.counts).length === 0 && !looksLikeCredentialPair(text)) return run;
      this.count('base64-secret');
      return mark('base64-secret');
    });
  }

  /** Walks an API object (wire JSON) and returns a redacted copy. */
  object<T>(value: T): T {
    return this.walk(value, undefined, 0) as T;
  }

  private walk(v: unknown, key: string | undefined, depth: number): unknown {
    if (depth > MAX_OBJECT_DEPTH) {
      this.count('too-deep');
      return mark('too-deep');
    }
    if (typeof v === 'string') {
      if (key !== undefined && isSecretKey(key) && !isPlaceholder(v)) {
        this.count('secret-value');
        return mark('secret-value');
      }
      return this.text(v);
    }
    if (Array.isArray(v)) {
      if ((key === 'args' || key === 'command') && v.every((x) => typeof x === 'string'))
        return this.argv(v as string[]);
      return v.map((x) => this.walk(x, undefined, depth + 1));
    }
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // A Secret (never listed by a scan, but an owner or a hand-made bundle may carry one): its data goes whole.
      if (o.kind === 'Secret') {
        const out: Record<string, unknown> = {
          ...(this.walk({ ...o, data: undefined, stringData: undefined }, key, depth + 1) as object),
        };
        for (const f of ['data', 'stringData'] as const) {
          const d = o[f];
          if (d && typeof d === 'object')
            out[f] = Object.fromEntries(
              Object.keys(d).map((k) => {
                this.count('secret-object');
                return [k, mark('secret-object')];
              }),
            );
        }
        return out;
      }
      // An env entry: {name: DB_PASS, value: ...}. valueFrom (a reference to a Secret) is kept.
      if (
        typeof o.name === 'string' &&
        typeof o.value === 'string' &&
        isSecretName(o.name) &&
        !isPlaceholder(o.value)
      ) {
        this.count('env-value');
        return { ...o, value: mark('env-value') };
      }
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) {
        if (x === undefined) continue;
        out[k] =
          key === 'annotations' && typeof x === 'string' ? this.annotation(k, x) : this.walk(x, k, depth + 1);
      }
      return out;
    }
    return v;
  }

  /** An annotation: last-applied-configuration walked as the object it is; a secret-named one goes whole. */
  private annotation(k: string, v: string): string {
    if (k === 'kubectl.kubernetes.io/last-applied-configuration' || /^\s*[{[]/.test(v)) {
      try {
        return JSON.stringify(this.walk(JSON.parse(v), undefined, 1));
      } catch {
        if (k === 'kubectl.kubernetes.io/last-applied-configuration') {
          this.count('annotation-value');
          return mark('annotation-value');
        }
      }
    }
    if (isSecretName(k.slice(k.lastIndexOf('/') + 1)) && !isPlaceholder(v)) {
      this.count('annotation-value');
      return mark('annotation-value');
    }
    return this.text(v);
  }

  /** A container's args/command: --password X, --password=X, -pX, each element through the text rules. */
  private argv(list: string[]): string[] {
    const mysql = list.some((a) => MYSQL_CONTEXT.test(a));
    return list.map((a, i) => {
      const prev = i > 0 ? list[i - 1]! : '';
      const flag = /^--?([A-Za-z][A-Za-z0-9_.-]*)$/.exec(prev);
      if (flag && isSecretName(flag[1]!) && !a.startsWith('-') && !isPlaceholder(a)) {
        this.count('secret-arg');
        return mark('secret-arg');
      }
      const glued = /^-p([^\d\s-].*)$/.exec(a);
      if (glued && (mysql || !/^-p(?:ort|ath|rofile|rint|id)/.test(a)) && !isPlaceholder(glued[1]!)) {
        this.count('secret-arg');
        return `-p${mark('secret-arg')}`;
      }
      return this.text(a);
    });
  }

  /**
   * A stream transform that redacts a log line by line. A line longer than maxLine is cut where no
   * secret can straddle the cut (see cut.ts), and each piece is redacted.
   */
  stream(maxLine = 1 << 20): Transform {
    const own = new Redactor(this.counts, this.depth); // a PEM block open in one log must not swallow another's lines
    let carry = '';
    const decoder = new StringDecoder('utf8'); // a UTF-8 character cut between chunks stays whole
    const flushLines = (push: (s: string) => void, final: boolean) => {
      let from = 0;
      let nl: number;
      while ((nl = carry.indexOf('\n', from)) !== -1) {
        push(own.line(carry.slice(from, nl)) + '\n');
        from = nl + 1;
      }
      carry = carry.slice(from);
      while (carry.length > maxLine) {
        const cut = safeCut(carry, maxLine);
        push(own.line(carry.slice(0, cut)));
        carry = carry.slice(cut);
      }
      if (final && carry.length > 0) {
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

/**
 * Where the value after a secret name ends: a quoted value up to its closing quote (JSON escapes
 * skipped, at the same escaping level it opened with), else a run of value characters. For an
 * Authorization header the scheme word (Bearer, Basic, token...) is kept.
 */
function readValue(s: string, from: number, authHeader: boolean): { start: number; end: number } | undefined {
  let i = from;
  QUOTE_OPEN.lastIndex = i;
  const q = QUOTE_OPEN.exec(s);
  if (q) {
    i = QUOTE_OPEN.lastIndex;
    const slashes = q[1]?.length ?? 0;
    const quote = q[2] ?? '%22';
    if (authHeader) {
      AUTH_SCHEME.lastIndex = i;
      if (AUTH_SCHEME.exec(s)) i = AUTH_SCHEME.lastIndex;
    }
    const end = closingQuote(s, i, quote, slashes);
    return { start: i, end };
  }
  if (authHeader) {
    AUTH_SCHEME.lastIndex = i;
    if (AUTH_SCHEME.exec(s)) i = AUTH_SCHEME.lastIndex;
  }
  UNQUOTED.lastIndex = i;
  if (!UNQUOTED.exec(s)) return undefined;
  return { start: i, end: UNQUOTED.lastIndex };
}

/** The closing quote preceded by exactly `slashes` backslashes; an unclosed value ends at the line's end. */
function closingQuote(s: string, from: number, quote: string, slashes: number): number {
  for (let i = from; i < s.length; i++) {
    if (quote === '%22') {
      if (s.startsWith('%22', i)) return i;
      continue;
    }
    const c = s[i];
    if (c === '\n') return i;
    if (c !== quote) continue;
    let b = 0;
    while (i - b - 1 >= from && s[i - b - 1] === '\\') b++;
    if (b === slashes) return i - slashes;
  }
  return s.length;
}

function mostlyText(b: Buffer): boolean {
  let ok = 0;
  for (const x of b) if ((x >= 0x20 && x < 0x7f) || x === 9 || x === 10 || x === 13) ok++;
  return ok >= b.length * 0.95;
}

/** user:password (a decoded basic-auth or docker auth value). */
function looksLikeCredentialPair(t: string): boolean {
  return /^[^\s:]{1,128}:[^\s]{4,256}$/.test(t.trim()) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(t.trim());
}

function decodesToPair(v: string): boolean {
  return /^[A-Za-z0-9+/]+=*$/.test(v) && looksLikeCredentialPair(Buffer.from(v, 'base64').toString('utf8'));
}

/** An object key whose string value is a secret (password, clientSecret, token...), but not e.g. secretName. */
function isSecretKey(key: string): boolean {
  return isSecretName(key);
}

export function totalRedactions(counts: Counts): number {
  return Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
}

export { MARK_PREFIX };
