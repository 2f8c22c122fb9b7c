// Incidents for the web UI's tests: a real diagnosis (the calico-node example run through the built
// CLI, as an agent would store it) copied onto a small fleet (two clusters, three nodes, several
// workloads and causes, over several days), and one hostile incident whose every string a crashed
// program or a rogue agent could choose carries markup, a javascript: URL and terminal escapes.
import { spawnSync } from 'node:child_process';
import type { Incident, Report } from '../../src/evidence/types.js';
import { incidentId } from '../../src/store/id.js';
import type { IncidentItem } from '../../src/store/types.js';
import { builtCli } from '../lab/harness/index.js';

const DIR = 'examples/calico-node-newosproc';

/** The calico-node crash as `podmortem analyze` diagnoses it (confirmed kernel.pid_max), node limits included. */
export function calicoReport(): Report {
  const r = spawnSync(
    process.execPath,
    [
      builtCli(),
      'analyze',
      `${DIR}/calico-node.log`,
      `${DIR}/pod.yaml`,
      '--node-root',
      `${DIR}/node`,
      '-f',
      'json',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`analyze failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
}

export function calicoIncident(): Incident {
  return calicoReport().incidents[0]!;
}

const DAY = 86_400_000;

/** `n` exits spread over the 6 days before `now`: calico-node's on node-a, checkout's elsewhere. */
export function fleet(base: Incident, n: number, now = Date.now()): IncidentItem[] {
  return Array.from({ length: n }, (_, k) => {
    const calico = k % 3 === 0;
    const finishedAt = new Date(now - (k % 6) * DAY - k * 60_000 - 3600_000).toISOString();
    const pod = calico
      ? `calico-node-${k.toString(36).padStart(5, 'x')}`
      : `checkout-7d9f8c6b5-${k.toString(36).padStart(5, 'q')}`;
    const subject = {
      ...base.subject,
      namespace: calico ? 'kube-system' : 'shop',
      pod,
      container: calico ? 'calico-node' : 'app',
      podUid: `uid-ui-${k}`,
      node: calico ? 'node-a' : k % 2 ? 'node-b' : 'node-c',
      finishedAt,
    };
    delete (subject as { owner?: string }).owner;
    const causes = calico
      ? base.causes
      : [
          {
            ...base.causes[0]!,
            id: k % 4 === 1 ? 'rlimit.nofile' : 'memory.cgroup_oom',
            summary: 'The limit was reached.',
          },
          ...base.causes.slice(1),
        ];
    return {
      ...base,
      subject,
      causes,
      id: incidentId(subject.podUid, subject.container, finishedAt),
      node: subject.node,
      cluster: k % 5 === 4 ? 'staging' : 'prod',
      recordedAt: finishedAt,
    };
  });
}

/** What must never survive as markup: each hostile string carries one. */
export const HOSTILE = {
  script: '<script>alert(1)</script>',
  img: '"><img src=x onerror=alert(2)>',
  link: 'javascript:alert(3)',
  esc: '\u001b[31mRED\u001b[0m\u001b]0;title\u0007',
  bidi: 'errno=1\u202e1=onrre\u2066',
};
const ALL = Object.values(HOSTILE).join(' ');

/** An incident whose every free-text field is hostile; its node, cluster and pod too. */
export function hostileItem(base: Incident, now = Date.now()): IncidentItem {
  const finishedAt = new Date(now - 2 * 3600_000).toISOString();
  const subject = {
    namespace: `ns${HOSTILE.img}`,
    pod: `pod${HOSTILE.script}${HOSTILE.esc}`,
    container: `${HOSTILE.link}${HOSTILE.bidi}`,
    podUid: 'uid-hostile',
    owner: `Deployment x/${HOSTILE.img}`,
    reason: HOSTILE.esc,
    source: HOSTILE.bidi,
    finishedAt,
  };
  const cause = base.causes[0]!;
  return {
    ...base,
    subject,
    id: incidentId(subject.podUid, subject.container, finishedAt),
    node: `node${HOSTILE.script}`,
    cluster: HOSTILE.img,
    recordedAt: finishedAt,
    signatures: base.signatures.map((s) => ({
      ...s,
      title: ALL,
      fields: { [HOSTILE.img]: HOSTILE.script },
      evidence: [{ source: HOSTILE.link, line: 1, text: ALL }],
    })),
    causes: [
      {
        ...cause,
        id: `kernel.pid_max${HOSTILE.img}`,
        summary: ALL,
        reasons: [ALL],
        evidence: [{ source: HOSTILE.link, text: ALL, of: 'crashed' }],
        remediation: [{ summary: ALL, commands: [`echo ${ALL}`] }],
      },
      ...base.causes.slice(1).map((c) => ({ ...c, summary: ALL, missing: [ALL] })),
    ],
    notes: [ALL],
    tail: [{ source: HOSTILE.esc, line: 2, text: ALL }],
  };
}
