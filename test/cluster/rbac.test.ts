// deploy/rbac.yaml is sufficient and minimal: every request a scan makes against the stand-in is
// allowed by the ClusterRole, and the role has no verb or resource the scan never uses.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { expect, test } from 'vitest';
import { ClusterApi } from '../../src/sources/cluster/api.js';
import { loadKubeConfig } from '../../src/sources/cluster/kubeconfig.js';
import { scanCluster } from '../../src/pipeline/scan.js';
import { diagnosePod } from '../../src/pipeline/pod.js';
import { REPO, scenarioStandin } from './helpers.js';

interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** The RBAC attributes of a request, as the apiserver's request-info resolver derives them. */
function attributes(path: string): { group: string; resource: string; verb: string } {
  const core = /^\/api\/v1\/(?:namespaces\/[^/]+\/)?([a-z]+)(?:\/([^/]+)(?:\/([a-z]+))?)?$/.exec(path);
  if (core)
    return {
      group: '',
      resource: core[3] ? `${core[1]}/${core[3]}` : core[1]!,
      verb: core[2] ? 'get' : 'list',
    };
  const named = /^\/apis\/([a-z.]+)\/v1\/(?:namespaces\/[^/]+\/)?([a-z]+)(?:\/([^/]+))?$/.exec(path);
  if (named) return { group: named[1]!, resource: named[2]!, verb: named[3] ? 'get' : 'list' };
  throw new Error(`unexpected request ${path}`);
}

test('the ClusterRole allows every request of a scan and of podmortem pod, read-only, and nothing it does not use', async () => {
  const docs = parseAllDocuments(readFileSync(resolve(REPO, 'deploy/rbac.yaml'), 'utf8')).map((d) =>
    d.toJS(),
  );
  const role = docs.find((d) => d.kind === 'ClusterRole');
  const binding = docs.find((d) => d.kind === 'ClusterRoleBinding');
  const sa = docs.find((d) => d.kind === 'ServiceAccount');
  expect(binding.roleRef.name).toBe(role.metadata.name);
  expect(binding.subjects[0]).toMatchObject({
    kind: 'ServiceAccount',
    name: sa.metadata.name,
    namespace: sa.metadata.namespace,
  });
  const rules = role.rules as RbacRule[];
  const verbs = new Set(rules.flatMap((r) => r.verbs));
  expect([...verbs].sort()).toEqual(['get', 'list']);

  const s = await scenarioStandin();
  try {
    const { kc } = loadKubeConfig({ kubeconfig: s.kubeconfig });
    await scanCluster(new ClusterApi(kc), { chunkSize: 10, concurrency: 4, logBytes: 1 << 20 });
    await diagnosePod(new ClusterApi(kc), {
      namespace: 'shop',
      name: 'cart-5f6d8b7c9-x2k9p',
      logBytes: 1 << 20,
    });
    const used = new Set<string>();
    for (const r of s.requests) {
      const a = attributes(r.path);
      const allowed = rules.some(
        (rule) =>
          rule.apiGroups.includes(a.group) &&
          rule.resources.includes(a.resource) &&
          rule.verbs.includes(a.verb),
      );
      expect(allowed, `${a.verb} ${a.resource} (${a.group || 'core'}) for ${r.path}`).toBe(true);
      used.add(`${a.group}/${a.resource}/${a.verb}`);
    }
    // Granted and used: pods list and get, pods/log get, events list, nodes get, the owners read in this scenario.
    for (const need of [
      '/pods/list',
      '/pods/get',
      '/pods/log/get',
      '/events/list',
      '/nodes/get',
      'apps/replicasets/get',
      'apps/deployments/get',
      'apps/daemonsets/get',
      'apps/statefulsets/get',
    ]) {
      expect(used.has(need), need).toBe(true);
    }
  } finally {
    await s.close();
  }
});
