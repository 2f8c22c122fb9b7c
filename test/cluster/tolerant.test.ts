// The field-by-field reader of API objects: a bad field is left out and named, the object itself is
// never changed, array elements that cannot be read are dropped without shifting the others, and a
// hostile object with thousands of bad fields gives a bounded list.
import { expect, test } from 'vitest';
import { podView } from '../../src/sources/cluster/wire.js';
import { PodStatusView } from '../../src/sources/cluster/wire.js';
import { tolerantParse } from '../../src/sources/cluster/tolerant.js';
import { pod } from '../standin/objects.mjs';

test('unreadable elements are dropped, the others kept in order, the input untouched', () => {
  const p = pod({
    ns: 'shop',
    name: 'x',
    node: 'n1',
    containers: [{ name: 'a', restartCount: 1 }, { name: 'b' }, { name: 'c', restartCount: 2 }],
  });
  p.status.containerStatuses[0].name = 42; // no name: the element cannot be read at all
  p.status.containerStatuses[1].restartCount = 'many';
  const before = JSON.stringify(p);
  const r = tolerantParse(PodStatusView, p);
  expect(r.data?.status?.containerStatuses?.map((s) => [s.name, s.restartCount])).toEqual([
    ['b', undefined],
    ['c', 2],
  ]);
  expect(r.defects.map((d) => d.field)).toEqual([
    'status.containerStatuses[0].name',
    'status.containerStatuses[b].restartCount',
  ]);
  expect(JSON.stringify(p)).toBe(before);
});

test('an object without its identity is not read; thousands of bad fields give a bounded list', () => {
  expect(podView({ metadata: { name: 7 } })).toBeUndefined();
  expect(podView(null)).toBeUndefined();
  const p = pod({ ns: 'shop', name: 'many', node: 'n1' });
  p.status.containerStatuses = Array.from({ length: 5000 }, (_, i) => ({ name: `c${i}`, restartCount: 'x' }));
  const r = tolerantParse(PodStatusView, p);
  expect(r.data?.status?.containerStatuses).toHaveLength(5000);
  expect(r.defects.length).toBeLessThanOrEqual(50);
});
