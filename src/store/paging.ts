// What every store shares about the contract's list query: times as RFC 3339, the page size bounds,
// and an opaque cursor ("<at ms>:<id>" in base64url) that pages by (at DESC, id DESC) without offsets.
import { QueryError } from './types.js';

export const MAX_PAGE = 500;

export function timeOf(v: string, name: string): number {
  const ms = Date.parse(v);
  if (Number.isNaN(ms))
    throw new QueryError(`${name} must be an RFC 3339 time such as 2026-11-29T03:14:15Z.`);
  return ms;
}

export function pageSize(limit: number | undefined): number {
  const n = limit ?? 50;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE)
    throw new QueryError(`limit must be a whole number from 1 to ${MAX_PAGE}.`);
  return n;
}

export function encodeCursor(at: number, id: string): string {
  return Buffer.from(`${at}:${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): [number, string] {
  const m = /^(\d{1,16}):([0-9a-f]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new QueryError('cursor is not one this server returned.');
  return [Number(m[1]), m[2]!];
}
