// Notes shared by the causes whose limit a container inherits from its runtime rather than from the
// node's login configuration: the limits.d file that everybody edits and that never reaches a
// container, and the Docker daemon's defaults (daemon.json, RHEL's sysconfig) that do.
import { place } from '../../../evidence/place.js';
import type { NodeFacts } from '../../../evidence/types.js';
import type { NotesContext } from '../../types.js';

/** limits.conf / limits.d set nproc and nofile for PAM sessions only; the same sentence for both causes, printed once. */
export function pamNote(node: NodeFacts | undefined): string[] {
  const pam = node?.pamLimits?.filter((l) => l.item === 'nproc' || l.item === 'nofile') ?? [];
  if (pam.length === 0) return [];
  const files = [...new Set(pam.map((l) => l.evidence.source))].join(', ');
  // 20-nproc.conf on CentOS/RHEL 7 exempts root itself: "root soft nproc unlimited".
  const rootExempt = pam.some(
    (l) => l.item === 'nproc' && l.domain === 'root' && /^(unlimited|infinity|-1)$/.test(l.value),
  );
  return [
    `${files} set nproc/nofile for PAM login sessions only (pam_limits: login, sshd, su, sudo). Container processes inherit their limits from the runtime daemon started by systemd, so these lines do not reach them; editing them changes nothing for pods.${rootExempt ? ' They exempt root from nproc anyway ("root soft nproc unlimited").' : ''}`,
  ];
}

/** dockerd's default-ulimits entry for one rlimit, while the cause is still open. */
export function dockerUlimitNote({ self, node }: NotesContext, name: 'nproc' | 'nofile'): string[] {
  const u = node?.runtimeDefaults?.ulimits.find((x) => x.name === name);
  if (!u || self.verdict === 'ruled-out') return [];
  return [
    `dockerd sets ${name} soft ${u.soft} / hard ${u.hard} for every container (default-ulimits, ${place(u.evidence)}): this, not limits.conf, is the limit a container starts with.`,
  ];
}

/** dockerd's default pids limit, while cgroup.pids is still open. */
export function dockerPidsNote({ self, node }: NotesContext): string[] {
  const d = node?.runtimeDefaults?.pidsLimit;
  if (!d || self.verdict === 'ruled-out') return [];
  const where = place(d.evidence);
  return [
    d.value === null
      ? `dockerd gives containers no default pids limit (${where}).`
      : `dockerd gives every container pids.max ${d.value} unless it is started with --pids-limit (${where}; RHEL's docker-1.13.1 set 4096): a container with that many tasks fails with EAGAIN whatever the pod and node limits say.`,
  ];
}
