// analyze groups what it reads like a scan does: a kubelet log folder read with its node's root is
// one node, and the network agent's crash is named as the root of the other crashes in its window.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/pipeline/analyze.js';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/calico-node-newosproc');
let pods: string;

function criLog(dir: string, lines: string[], start: string): void {
  mkdirSync(dir, { recursive: true });
  const t0 = Date.parse(start);
  const cri = lines.map((l, i) => `${new Date(t0 + i).toISOString()} stderr F ${l}`);
  writeFileSync(join(dir, dir.endsWith('calico-node') ? '20.log' : '3.log'), cri.join('\n') + '\n');
}

beforeAll(() => {
  pods = mkdtempSync(join(tmpdir(), 'pm-pods-'));
  criLog(
    join(pods, 'kube-system_calico-node-56bgm_8c1e5d7a-3f2b-4e91-a6d4-5b0f9c27e813/calico-node'),
    [
      'runtime: failed to create new OS thread (have 41 already; errno=11)',
      'runtime: may need to increase max user processes (ulimit -u)',
      'fatal error: newosproc',
    ],
    '2022-06-01T10:00:00Z',
  );
  criLog(
    join(pods, 'shop_checkout-7d4b9c-x2x9z_0f6c2a51-9d2e-4b7a-8f3e-1c5d7e9a2b4f/checkout'),
    ['panic: dial tcp 10.96.0.10:53: i/o timeout', '', 'goroutine 1 [running]:'],
    '2022-06-01T10:02:00Z',
  );
});
afterAll(() => rmSync(pods, { recursive: true, force: true }));

describe('analyze on a kubelet log folder with its node root', () => {
  it('names the calico-node crash as the root and the other crash as its blast radius', async () => {
    const { report } = await analyze({ inputs: [pods], nodeRoot: join(EXAMPLE, 'node') });
    expect(report.incidents.map((i) => i.subject.pod)).toEqual([
      'calico-node-56bgm',
      'checkout-7d4b9c-x2x9z',
    ]);
    // The node is named by the snapshot's /etc/hostname; the crash time by the last CRI timestamp.
    expect(report.incidents[0]!.subject).toMatchObject({
      node: '10.165.6.26',
      finishedAt: '2022-06-01T10:00:00.002Z',
    });
    const node = report.findings?.find((f) => f.kind === 'node');
    expect(node, JSON.stringify(report.findings)).toBeDefined();
    expect(node!.root).toBe(0);
    expect(node!.incidents).toEqual([0, 1]);
    expect(node!.summary).toMatch(/calico-node-56bgm/);
  });

  it('does not group crashes of one node that are hours apart', async () => {
    criLog(
      join(pods, 'shop_checkout-7d4b9c-x2x9z_0f6c2a51-9d2e-4b7a-8f3e-1c5d7e9a2b4f/checkout'),
      ['panic: dial tcp 10.96.0.10:53: i/o timeout'],
      '2022-06-01T18:00:00Z',
    );
    const { report } = await analyze({ inputs: [pods], nodeRoot: join(EXAMPLE, 'node') });
    const node = report.findings?.find((f) => f.kind === 'node');
    expect(node?.incidents ?? [0]).toEqual([0]);
  });
});
