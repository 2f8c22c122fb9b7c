// `podmortem server --store sqlite://...` prunes at start-up and every hour: recent incidents must
// survive it (a 4 GiB size bound once overflowed to 0 bytes and deleted the whole history).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import { item } from './items.js';

const dir = mkdtempSync(join(tmpdir(), 'podmortem-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the SQLite fleet store', () => {
  it('keeps recent incidents through a prune', async () => {
    const opened = await openStore(`sqlite://${join(dir, 'server.db')}`);
    const now = new Date().toISOString();
    const items = Array.from({ length: 5 }, (_, n) => ({ ...item(n), recordedAt: now }));
    await opened.store.put(items);
    expect(await opened.prune()).toBe(0);
    expect((await opened.store.query({})).items).toHaveLength(5);
    await opened.store.close();
  });
});
