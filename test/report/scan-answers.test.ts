// A scan's report opens with its answers: one row per problem, confirmed first, in the same order on
// every run (verdict, then time, then name), each unreadable item said once. The scan runs twice
// against the API stand-in (real HTTPS, the real client, a pool finishing pods in any order).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/evidence/types.js';
import { ClusterApi } from '../../src/sources/cluster/api.js';
import { loadKubeConfig } from '../../src/sources/cluster/kubeconfig.js';
import { DEFAULT_RETRY } from '../../src/sources/cluster/retry.js';
import { scanCluster } from '../../src/pipeline/scan.js';
import { render } from '../../src/report/index.js';
import type { Standin } from '../standin/server.mjs';
import { scenarioStandin } from '../cluster/helpers.js';

let s: Standin;
beforeAll(async () => {
  s = await scenarioStandin({ healthy: 20 });
});
afterAll(async () => {
  await s.close();
});

async function scan(): Promise<Report> {
  const { kc } = loadKubeConfig({ kubeconfig: s.kubeconfig });
  const api = new ClusterApi(kc, { ...DEFAULT_RETRY, baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 5000 });
  return (await scanCluster(api, { chunkSize: 10, concurrency: 8, logBytes: 1 << 20 })).report;
}

describe('scan report: the answers first', () => {
  let runs: Report[];
  beforeAll(async () => {
    runs = [await scan(), await scan(), await scan()];
  }, 120_000);

  it('prints the same report on every run, in every format', () => {
    for (const format of ['text', 'markdown', 'html', 'json'] as const) {
      const [a, ...rest] = runs.map((r) => render(r, format, { color: false, width: 100 }));
      for (const b of rest) expect(b).toBe(a);
    }
  });

  it('opens with one row per problem, the confirmed ones first', () => {
    const text = render(runs[0]!, 'text', { color: false, width: 400 });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^Answers \(\d+, confirmed first\)$/);
    // Each row: the verdict line, then its first command on its own line.
    const rows = lines.slice(1, lines.indexOf('')).filter((l) => /^ {2}\S/.test(l));
    expect(rows[0]).toMatch(/^ {2}confirmed /);
    // The OOMKilled checkout replicas are one row, not one per pod.
    expect(rows.filter((r) => r.includes('checkout'))).toHaveLength(1);
    expect(rows.find((r) => r.includes('checkout'))).toContain('confirmed memory.cgroup');
    const verdicts = rows.map((r) => r.trim().split(' ')[0]!);
    const rank = ['confirmed', 'likely', 'undecided', 'no'];
    expect(verdicts.map((v) => rank.indexOf(v))).toEqual(
      [...verdicts.map((v) => rank.indexOf(v))].sort((a, b) => a - b),
    );
    // The text report closes with its first answer.
    expect(lines.filter(Boolean).at(-2)).toBe(`Answer: ${rows[0]!.trim()}`);
  });

  it('says each unreadable item once', () => {
    const text = render(runs[0]!, 'text', { color: false, width: 400 });
    const refusal = runs[0]!.warnings.find((w) => w.includes('payments'))!;
    expect(refusal).toBeDefined();
    expect(text.split(refusal), text).toHaveLength(2);
  });
});

describe('scan report: the same whichever refusal the API answers first', () => {
  /** Two pods of one namespace whose logs are refused; `slow` answers 200 ms after the other. */
  async function scanWithRefusals(slow: 'cart' | 'search'): Promise<Report> {
    const standin = await scenarioStandin();
    try {
      for (const pod of ['cart', 'search'])
        standin.inject({
          path: new RegExp(`^/api/v1/namespaces/shop/pods/${pod}-[^/]+/log`),
          status: 403,
          times: Infinity,
          verb: 'get',
          resource: 'pods/log',
          namespace: 'shop',
          name: pod,
          ...(pod === slow ? { delayMs: 200 } : {}),
        });
      const { kc } = loadKubeConfig({ kubeconfig: standin.kubeconfig });
      const api = new ClusterApi(kc, { ...DEFAULT_RETRY, baseDelayMs: 20, maxDelayMs: 100, timeoutMs: 5000 });
      return (await scanCluster(api, { chunkSize: 10, concurrency: 8, logBytes: 1 << 20 })).report;
    } finally {
      await standin.close();
    }
  }

  it('prints the same report, JSON included', async () => {
    const a = await scanWithRefusals('cart');
    const b = await scanWithRefusals('search');
    // One refusal of one rule over two pods: one finding, no note or warning repeating it.
    const text = render(a, 'text', { color: false, width: 1000 });
    expect(text.split('RBAC forbids get pods/log in namespace "shop"')).toHaveLength(2);
    for (const format of ['text', 'markdown', 'html', 'json'] as const)
      expect(render(b, format, { color: false, width: 100 })).toBe(
        render(a, format, { color: false, width: 100 }),
      );
  }, 60_000);
});
