// Every cause id of the contract has its module, named after the id, with a docs page that
// `podmortem explain <id>` can print: what it is, how to confirm it, how to fix it, and sources.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACT_CAUSE_IDS } from '../../../src/knowledge/cause-ids.js';
import { CAUSES, causeById } from '../../../src/knowledge/causes/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
// CI and developers have shared/ beside the clone.
const CONTRACT = resolve(ROOT, '../shared/CONTRACT.md');
const IDS = CONTRACT_CAUSE_IDS;

describe('cause registry', () => {
  it('lists every cause id of the contract (new ids may be added)', () => {
    // shared/ is beside every clone, CI's included: its absence is a broken checkout, not a skip.
    expect(existsSync(CONTRACT), `${CONTRACT} is missing`).toBe(true);
    const section = readFileSync(CONTRACT, 'utf8')
      .split('### Cause ids')[1]!
      .split(/\n#{2,3} /)[0]!;
    const contractIds = [...section.matchAll(/^\| `([a-z0-9_.-]+)` \|/gm)].map((m) => m[1]);
    expect(contractIds.length).toBeGreaterThanOrEqual(15);
    expect([...IDS].sort()).toEqual([...contractIds].sort());
    for (const id of contractIds) expect(causeById(id!)?.id, id).toBe(id);
  });

  for (const id of IDS) {
    it(`${id}: its folder, docs with sources`, () => {
      const def = causeById(id);
      expect(def?.id).toBe(id);
      expect(existsSync(resolve(ROOT, 'src/knowledge/causes', id, 'cause.ts')), `causes/${id}/cause.ts`).toBe(
        true,
      );
      expect(def!.docs.what.length).toBeGreaterThan(80);
      expect(def!.docs.confirm.length).toBeGreaterThan(0);
      expect(def!.docs.fix.length).toBeGreaterThan(0);
      expect(def!.docs.sources.length).toBeGreaterThan(0);
    });
  }

  it('registers each id once', () => {
    const ids = CAUSES.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
