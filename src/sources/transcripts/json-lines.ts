// Pretty-printed JSON read line by line, as `docker inspect` and `crictl inspect` print it and as
// people paste it: often cut short, grepped (`| grep -i oom`) or with a line missing, so it is never
// parsed whole. A stack of open keys gives each scalar its path; each closed object hands its scalar
// fields to the caller (an Ulimits entry, an rlimit). A one-line document (`-f '{{json .State}}'`)
// is parsed with JSON.parse and walked the same way. Depth and work are bounded.
import type { TLine } from './types.js';

export type Scalar = string | number | boolean | null;

export interface JsonVisitor {
  /** A scalar at path (keys; "[]" for array elements). */
  scalar(path: string[], value: Scalar, l: TLine): void;
  /** An object closed at path with its scalar fields. */
  object?(path: string[], fields: Record<string, Scalar>, l: TLine): void;
}

const MAX_DEPTH = 32;
const KEY_LINE = /^"((?:[^"\\]|\\.){0,256})"\s{0,8}:\s{0,8}(.{0,65536})$/;

interface Open {
  key: string;
  kind: 'obj' | 'arr';
  fields: Record<string, Scalar>;
  line: TLine;
}

export class JsonLines {
  private stack: Open[] = [];
  constructor(
    private readonly visitor: JsonVisitor,
    private readonly root: string[] = [],
  ) {}

  private path(): string[] {
    return [...this.root, ...this.stack.map((o) => o.key)];
  }

  /** One line; false when it does not look like JSON at all. */
  line(l: TLine): boolean {
    const t = l.text.trim();
    if (t === '') return false;
    if ((t.startsWith('{') || t.startsWith('[')) && t.length > 2 && /[}\]],?$/.test(t)) {
      const v = tryParse(t.replace(/,$/, ''));
      if (v !== undefined) {
        this.walk(this.path(), v, l, 0);
        return true;
      }
    }
    const m = KEY_LINE.exec(t);
    const key = m ? unescape(m[1]!) : undefined;
    const rest = (m ? m[2]! : t).trim().replace(/,$/, '');
    if (rest === '{' || rest === '[') {
      if (this.stack.length >= MAX_DEPTH) return true;
      const top = this.stack[this.stack.length - 1];
      this.stack.push({
        key: key ?? (top?.kind === 'arr' ? '[]' : ''),
        kind: rest === '{' ? 'obj' : 'arr',
        fields: {},
        line: l,
      });
      return true;
    }
    if (!m && /^[}\]]{1,2},?$/.test(t)) {
      const closed = this.stack.pop();
      if (closed?.kind === 'obj')
        this.visitor.object?.(
          [...this.root, ...this.stack.map((o) => o.key), closed.key],
          closed.fields,
          closed.line,
        );
      return true;
    }
    const value = scalarOf(rest);
    if (value === undefined) {
      // An inline object or array after a key: parse it whole.
      const v = key !== undefined && /^[[{].*[\]}]$/.test(rest) ? tryParse(rest) : undefined;
      if (v === undefined) return /^[\]}{[,]/.test(t) || m !== null;
      this.walk([...this.path(), key!], v, l, 0);
      return true;
    }
    const top = this.stack[this.stack.length - 1];
    if (key !== undefined) {
      if (top && top.kind === 'obj' && Object.keys(top.fields).length < 64) top.fields[key] = value;
      this.visitor.scalar([...this.path(), key], value, l);
    } else this.visitor.scalar([...this.path(), '[]'], value, l);
    return true;
  }

  private walk(path: string[], v: unknown, l: TLine, depth: number): void {
    if (depth > MAX_DEPTH) return;
    if (Array.isArray(v)) {
      for (const x of v.slice(0, 256)) this.walk([...path, '[]'], x, l, depth + 1);
    } else if (typeof v === 'object' && v !== null) {
      const fields: Record<string, Scalar> = {};
      for (const [k, x] of Object.entries(v).slice(0, 256)) {
        if (x === null || ['string', 'number', 'boolean'].includes(typeof x)) fields[k] = x as Scalar;
        if (typeof x === 'object' && x !== null) this.walk([...path, k], x, l, depth + 1);
        else this.visitor.scalar([...path, k], x as Scalar, l);
      }
      this.visitor.object?.(path, fields, l);
    }
  }
}

function tryParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** A JSON scalar as written (a string, a number, true/false/null); undefined for anything else. */
function scalarOf(x: unknown): Scalar | undefined {
  if (typeof x !== 'string') {
    if (typeof x === 'number' || typeof x === 'boolean' || x === null) return x;
    return undefined;
  }
  const t = x.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (t === 'null') return null;
  if (/^-?\d{1,19}$/.test(t)) return Number(t);
  const s = /^"((?:[^"\\]|\\.){0,4096})"$/.exec(t);
  return s ? unescape(s[1]!) : undefined;
}
