// Renders a kustomization of deploy/ with `kubectl kustomize` (what `kubectl apply -k` applies) and
// parses every object with the yaml package; reads the agent's flags and metric names from the contract.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { expect } from 'vitest';

export const REPO = resolve(import.meta.dirname, '../..');
const CONTRACT = resolve(REPO, '../shared/CONTRACT.md');

/** One Kubernetes object as rendered; only the fields the tests read are typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export function render(dir: string): K8sObject[] {
  const text = execFileSync('kubectl', ['kustomize', resolve(REPO, dir)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return parseAllDocuments(text).map((d) => {
    expect(d.errors, `${dir}: ${d.errors.join('; ')}`).toEqual([]);
    return d.toJS() as K8sObject;
  });
}

export function one<T = K8sObject>(objects: K8sObject[], kind: string): T {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, `one ${kind}`).toHaveLength(1);
  return found[0] as T;
}

function contractSection(heading: string): string {
  expect(existsSync(CONTRACT), `${CONTRACT} is missing`).toBe(true);
  return readFileSync(CONTRACT, 'utf8')
    .split(heading)[1]!
    .split(/\n#{2,3} /)[0]!;
}

/** The flags of `podmortem agent` in the contract's table ("--listen", "--db", ...). */
export function contractAgentFlags(): string[] {
  const rows = contractSection('## Agent and server interfaces')
    .split('\n')
    .filter((l) => l.startsWith('| `agent` |'));
  return rows.flatMap((l) => [...l.split('|')[2]!.matchAll(/`(--[a-z-]+)/g)].map((m) => m[1]!));
}

/** Metric name -> its labels, from the contract's "Prometheus metrics" item. */
export function contractMetrics(): Map<string, string[]> {
  const item = contractSection('## Agent and server interfaces').split('**Prometheus metrics**')[1]!;
  const text = item.split('\n- **')[0]!;
  return new Map(
    [...text.matchAll(/`(podmortem_[a-z_]+)\{([a-z_,]+)\}`/g)].map((m) => [m[1]!, m[2]!.split(',')]),
  );
}
