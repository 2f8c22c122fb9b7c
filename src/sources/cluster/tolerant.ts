// Reads an API object through a zod schema field by field: a field of the wrong type (a timestamp
// that is not a time, `null` where a time should be, a string where a number is) is left out and
// named, instead of failing the whole object. A pod with one bad field must still be diagnosed from
// its other fields, and the operator told which field was ignored. The original object is never
// changed: the fields left out are removed from copies of the objects on their path only, so a pod
// with huge annotations is not copied whole.
import type { z } from 'zod';
import { neutral } from './retry.js';

export interface Defect {
  /** Where, readably: status.containerStatuses[app].lastState.terminated.finishedAt */
  field: string;
  /** What it held, short and neutralized: null, "yesterday", 5 */
  value: string;
  /** What was expected: "a string", "an RFC 3339 time", "a whole number" */
  expected: string;
}

export interface Tolerant<T> {
  /** undefined when even the object's identity (metadata.name, the required parts) was unreadable. */
  data?: T;
  defects: Defect[];
}

/** Rounds of removal at most: each round removes every failing field found at once. */
const MAX_ROUNDS = 8;
/** Defects kept at most: a hostile object with thousands of bad fields is not listed in full. */
const MAX_DEFECTS = 50;

type Path = (string | number)[];

export function tolerantParse<S extends z.ZodType>(schema: S, value: unknown): Tolerant<z.output<S>> {
  let current = value;
  const defects: Defect[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const r = schema.safeParse(current);
    if (r.success) return { data: r.data, defects: dedupe(defects) };
    const targets: Path[] = [];
    for (const issue of r.error.issues) {
      let path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
      const held = at(current, path);
      if (defects.length < MAX_DEFECTS)
        defects.push({
          field: fieldName(value, path),
          value: preview(held),
          expected: expectedOf(issue, held),
        });
      // A required field that is missing or removed: its parent cannot be read without it.
      if (held === undefined) path = path.slice(0, -1);
      targets.push(path);
    }
    if (targets.some((t) => t.length === 0)) return { defects: dedupe(defects) };
    current = removeAll(current, outermost(targets));
  }
  return { defects: dedupe(defects) };
}

/** The defects as one clause: "a = null (expected a string); b = ... and 3 more". */
export function defectsText(defects: Defect[], max = 4): string {
  const shown = defects
    .slice(0, max)
    .map(
      (d) => `${d.field} ${d.value === 'missing' ? 'is missing' : `= ${d.value}`} (expected ${d.expected})`,
    );
  const more = defects.length > max ? ` and ${defects.length - max} more` : '';
  return `${shown.join('; ')}${more}`;
}

function dedupe(defects: Defect[]): Defect[] {
  const seen = new Set<string>();
  return defects.filter((d) => !seen.has(d.field) && seen.add(d.field));
}

function at(v: unknown, path: Path): unknown {
  let x = v;
  for (const k of path) {
    if (typeof x !== 'object' || x === null) return undefined;
    x = (x as Record<string | number, unknown>)[k];
  }
  return x;
}

/** Drops paths below another one in the list (removing the parent removes them) and duplicates. */
function outermost(paths: Path[]): Path[] {
  const key = (p: Path) => p.map((k) => `${typeof k}:${k}`).join('\u0000');
  const keys = new Set(paths.map(key));
  const out = new Map<string, Path>();
  for (const p of paths) {
    let covered = false;
    for (let n = 1; n < p.length && !covered; n++) covered = keys.has(key(p.slice(0, n)));
    if (!covered) out.set(key(p), p);
  }
  return [...out.values()];
}

/** A copy of root without the values at paths; only the objects on those paths are copied. */
function removeAll(root: unknown, paths: Path[]): unknown {
  const copies = new Map<unknown, unknown>();
  const copy = (x: unknown): Record<string | number, unknown> => {
    let c = copies.get(x);
    if (!c) {
      c = Array.isArray(x) ? [...(x as unknown[])] : { ...(x as object) };
      copies.set(x, c);
      copies.set(c, c);
    }
    return c as Record<string | number, unknown>;
  };
  const newRoot = copy(root);
  const holes: unknown[][] = [];
  const HOLE = Symbol('removed');
  for (const path of paths) {
    let parent = newRoot;
    let ok = true;
    for (const k of path.slice(0, -1)) {
      const child = parent[k];
      if (typeof child !== 'object' || child === null) {
        ok = false;
        break;
      }
      const c = copy(child);
      parent[k] = c;
      parent = c;
    }
    if (!ok) continue;
    const last = path[path.length - 1]!;
    if (Array.isArray(parent)) {
      parent[last as number] = HOLE;
      holes.push(parent);
    } else delete parent[last];
  }
  // Array elements are marked first and dropped after, so indices of the other paths stay valid.
  for (const a of holes) {
    const kept = a.filter((x) => x !== HOLE);
    a.length = 0;
    a.push(...kept);
  }
  return newRoot;
}

/** a.b[2].c, with an element named by its `name` when it has one: containerStatuses[app]. */
function fieldName(root: unknown, path: Path): string {
  let out = '';
  let x = root;
  for (const k of path) {
    if (typeof k === 'number') {
      const el = Array.isArray(x) ? (x[k] as unknown) : undefined;
      const name = (el as { name?: unknown } | undefined)?.name;
      out += typeof name === 'string' && name.length <= 63 ? `[${neutral(name)}]` : `[${k}]`;
    } else out += `${out ? '.' : ''}${neutral(k).slice(0, 63)}`;
    x = typeof x === 'object' && x !== null ? (x as Record<string | number, unknown>)[k] : undefined;
  }
  return out || '(the object)';
}

function preview(v: unknown): string {
  if (v === undefined) return 'missing';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  const s = typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v) : String(v);
  return neutral(s);
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

function expectedOf(issue: z.core.$ZodIssue, held: unknown): string {
  // A schema's own message (z.string({ error: 'an RFC 3339 time' })) says best what it wants.
  if (!/^(Invalid|Too small|Too big)/.test(issue.message)) return issue.message;
  if (issue.code === 'invalid_type') return TYPE_WORDS[issue.expected] ?? `a ${issue.expected}`;
  if (issue.code === 'too_small')
    return Array.isArray(held)
      ? `at least ${String(issue.minimum)} item(s)`
      : `at least ${String(issue.minimum)}`;
  // Our own refinements (a timestamp, a whole number, a count that is not negative) name what they want.
  return issue.message;
}
