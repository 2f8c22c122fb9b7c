// Elasticsearch / OpenSearch bootstrap check on vm.max_map_count: the node refuses to start when the
// kernel would let it map fewer areas than it needs. The check reads the node's sysctl, so the line
// itself is the evidence of the current value.
import type { Fields, SignatureDef } from '../types.js';

const maxMapCount: SignatureDef = {
  id: 'elasticsearch.max-map-count',
  family: 'elasticsearch',
  title: 'Elasticsearch bootstrap check: vm.max_map_count too low',
  keywords: ['vm.max_map_count ['],
  // "max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]"
  pattern: /vm\.max_map_count \[(\d{1,12})\] (?:is )?too low, increase to at least \[(\d{1,12})\]/,
  fields: (m): Fields => ({ current: Number(m[1]), wanted: Number(m[2]) }),
  raises: (f) => [
    {
      cause: 'vm.max_map_count',
      weight: 0.95,
      why: `Elasticsearch read vm.max_map_count = ${String(f.current)} on the node and needs at least ${String(f.wanted)}; the sysctl is node-wide and not namespaced, so the pod cannot change it.`,
    },
  ],
  subject: () => ({ exitCode: 78 }),
  docs: {
    what: 'Elasticsearch (and OpenSearch) maps its index files with mmap and checks at start-up that the node allows at least 262144 memory map areas per process; in production mode a failed bootstrap check stops the node (exit status 78). vm.max_map_count is a node sysctl: a node reboot or a new node without the setting brings the failure back.',
    confirm: ['cat /proc/sys/vm/max_map_count on the node the pod ran on.'],
    fix: [
      'sysctl -w vm.max_map_count=262144 and persist it in /etc/sysctl.d/99-elasticsearch.conf on every node that can run the pod',
      'or a privileged init container running sysctl -w vm.max_map_count=262144 (the official Helm charts offer sysctlInitContainer)',
    ],
    sources: [
      'https://www.elastic.co/guide/en/elasticsearch/reference/current/vm-max-map-count.html',
      'elastic/elasticsearch:server/src/main/java/org/elasticsearch/bootstrap/BootstrapChecks.java (MaxMapCountCheck)',
      'https://github.com/helm/charts/issues/2677',
    ],
  },
  cases: [
    {
      source: 'https://github.com/helm/charts/issues/2677',
      log: [
        '[1]: max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]',
      ],
      fields: { current: 65530, wanted: 262144 },
    },
  ],
  nonMatching: ['vm.max_map_count = 262144'],
};

export const signatures: SignatureDef[] = [maxMapCount];
