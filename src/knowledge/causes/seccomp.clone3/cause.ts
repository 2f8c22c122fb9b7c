// seccomp.clone3: not a resource limit. glibc >= 2.34 creates threads with clone3 and falls back to
// clone only on ENOSYS; the default seccomp profiles of Docker < 20.10.10 and containerd < 1.4.10 /
// 1.5.6 answered the then-unknown clone3 with EPERM, so pthread_create fails with "Operation not
// permitted" (moby/moby#42680, fixed by moby/moby#42681 and containerd/containerd#5982: ENOSYS
// unless CAP_SYS_ADMIN). The Go runtime's own threads use clone, not clone3, so a pure-Go EPERM is
// some other policy. Sources: limits.md §1.1, §4.2.
import type { Evidence, SignatureHit } from '../../../evidence/types.js';
import { environmentOf, RECREATE_NOTE } from '../../environment.js';
import { defineCause, type CauseContext, type Remediation, type Verdict } from '../../types.js';
import { signatureById } from '../../signatures/index.js';
import { errnoOf, hitsWithId, raisedWhy, raisingEvidence } from '../shared/common.js';

export const cause = defineCause({
  id: 'seccomp.clone3',
  scope: 'none',
  title: 'seccomp profile answering clone3 with EPERM (old Docker/containerd, glibc >= 2.34)',
  docs: {
    what: 'Not a resource limit. glibc 2.34+ calls clone3 to create threads and only falls back to clone on ENOSYS. Default seccomp profiles of Docker before 20.10.10 and containerd before 1.4.10/1.5.6 returned EPERM for clone3, so every pthread_create (JVM, Python, Rust, cgo, C) in an image with a new glibc fails with "Operation not permitted" or a bare "can\'t start new thread".',
    confirm: [
      "errno 1 (EPERM) from thread creation; the image's glibc: kubectl exec <pod> -- ldd --version | head -1 (2.34 or newer).",
      "The node's runtime version: docker version --format '{{.Server.Version}}' (< 20.10.10) or containerd --version (< 1.4.10, 1.5.0-1.5.5).",
      "Whether a profile applies at all: kubectl get pod <pod> -o jsonpath='{..seccompProfile}' and seccompDefault in the kubelet config (Kubernetes runs pods Unconfined unless one of them says otherwise).",
      'Privileged containers run Unconfined; profiles allow clone3 to containers with CAP_SYS_ADMIN.',
    ],
    fix: [
      'Upgrade the runtime (Docker >= 20.10.10, containerd >= 1.4.10 / 1.5.6), whose profiles answer clone3 with ENOSYS.',
      'Or use a seccomp profile that maps clone3 to ENOSYS, or an image with glibc < 2.34, until then.',
    ],
    sources: [
      'https://github.com/moby/moby/issues/42680',
      'https://github.com/moby/moby/pull/42681 (clone3 -> ENOSYS unless CAP_SYS_ADMIN; 20.10 backport moby/moby#42836)',
      'https://github.com/containerd/containerd/pull/5982 (containerd 1.4.10 / 1.5.6)',
      'https://kubernetes.io/docs/tutorials/security/seccomp/ (Unconfined unless RuntimeDefault or seccompDefault)',
    ],
  },
  assess(ctx) {
    const env = environmentOf(ctx.node);
    const reasons = raisedWhy(ctx);
    const evidence: Evidence[] = [...raisingEvidence(ctx)];
    const p = ctx.process;
    const remediation: Remediation[] = [
      {
        summary: `Upgrade the container runtime to one whose default profile answers clone3 with ENOSYS (Docker >= 20.10.10, containerd >= 1.4.10 / 1.5.6). ${RECREATE_NOTE}`,
        commands: [
          "docker version --format '{{.Server.Version}}'; containerd --version",
          'apt-get install --only-upgrade docker-ce containerd.io   # or yum update docker-ce containerd.io',
        ],
      },
      {
        summary:
          'Until then: a seccomp profile that returns ENOSYS for clone3, or an image built on glibc < 2.34.',
        commands: ['# in the profile: {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}'],
      },
    ];
    if (p.privileged?.value === true) {
      return {
        verdict: 'ruled-out',
        summary: 'Ruled out: privileged containers run without a seccomp profile.',
        reasons: [
          ...reasons,
          'A privileged container always runs Unconfined: no seccomp profile can refuse clone3.',
        ],
        evidence: [...evidence, p.privileged.evidence],
        missing: [],
        remediation: [],
      };
    }
    const errno = errnoOf(ctx) ?? threadErrnoElsewhere(ctx);
    if (errno?.hit.evidence[0] && !evidence.includes(errno.hit.evidence[0]))
      evidence.push(errno.hit.evidence[0]);
    const extra: string[] = [];
    let verdict: Verdict = 'possible';
    if (p.capabilities?.value.includes('SYS_ADMIN')) {
      evidence.push(p.capabilities.evidence);
      extra.push(
        'The container has CAP_SYS_ADMIN, to which the Docker and containerd profiles allow clone3.',
      );
      verdict = 'unlikely';
    } else if (errno?.value === 1 && rawClone(ctx)) {
      extra.push(
        'The Go runtime starts its threads with clone, not clone3, so the EPERM came from a profile or LSM that denies clone itself, not from the clone3 problem.',
      );
      verdict = 'unlikely';
    } else if (errno?.value === 1) {
      extra.push(
        'EPERM from pthread_create is not a resource limit: no task or memory limit returns it, a seccomp or LSM policy does.',
      );
      verdict = 'likely';
    } else if (!errno) {
      extra.push(
        'The message does not show the errno, so an EPERM from clone3 cannot be told apart from a task limit by the log alone.',
      );
    } else {
      extra.push(`errno ${errno.value} is not EPERM: a seccomp denial of clone3 returns EPERM.`);
      verdict = 'unlikely';
    }
    const rt = runtimeAge(env.runtime);
    if (rt && ctx.node?.runtime) {
      evidence.push(ctx.node.runtime.evidence);
      if (rt === 'fixed') {
        extra.push(
          `The node runs ${env.runtime}, whose default profile already answers clone3 with ENOSYS; only a custom profile could still return EPERM.`,
        );
        if (verdict !== 'unlikely') verdict = 'unlikely';
      } else {
        extra.push(
          `The node runs ${env.runtime}, older than the fix (Docker 20.10.10, containerd 1.4.10/1.5.6): its default profile answers clone3 with EPERM.`,
        );
      }
    }
    extra.push(
      'Kubernetes runs pods Unconfined unless the pod sets seccompProfile (RuntimeDefault/Localhost) or the kubelet sets seccompDefault: true.',
    );
    return {
      verdict,
      summary:
        verdict === 'likely'
          ? 'Thread creation was refused with EPERM: the signature of an old seccomp profile answering clone3 with EPERM.'
          : "A seccomp profile refusing clone3 is not excluded; the runtime version, the image's glibc and the pod's seccomp profile decide it.",
      reasons: [...reasons, ...extra],
      evidence,
      missing: [
        "docker version --format '{{.Server.Version}}'; containerd --version   # on the node",
        'kubectl exec <pod> -c <container> -- ldd --version | head -1   # glibc >= 2.34?',
        "kubectl get pod <pod> -o jsonpath='{..seccompProfile}'; grep seccompDefault " + env.kubeletConfig,
      ],
      remediation,
    };
  },
});

function rawClone(ctx: CauseContext): boolean {
  return (
    ctx.raisedBy.every((r) => /^go\.newosproc/.test(r.signature.id)) &&
    hitsWithId(ctx, /^go\.newosproc/).length > 0
  );
}

/** 'old' when the runtime version predates the clone3 fix, 'fixed' when it has it, undefined when unknown. */
export function runtimeAge(runtime: string | undefined): 'old' | 'fixed' | undefined {
  const m = /(docker|containerd)\D{0,20}(\d+)\.(\d+)\.(\d+)/i.exec(runtime ?? '');
  if (!m) return undefined;
  const [maj, min, patch] = [Number(m[2]), Number(m[3]), Number(m[4])];
  const older = (a: number[], b: number[]): boolean =>
    a[0]! < b[0]! || (a[0] === b[0] && (a[1]! < b[1]! || (a[1] === b[1] && a[2]! < b[2]!)));
  const v = [maj, min, patch];
  if (m[1]!.toLowerCase() === 'docker') return older(v, [20, 10, 10]) ? 'old' : 'fixed';
  if (maj === 1 && min === 5) return patch < 6 ? 'old' : 'fixed';
  return older(v, [1, 4, 10]) ? 'old' : 'fixed';
}

/**
 * The errno of the same thread failure printed by another line: a JVM prints the errno-less
 * OutOfMemoryError after an "[os,thread] ... pthread_create failed (EAGAIN)" warning. A line is
 * about thread creation when its signature raises the task-count causes.
 */
function threadErrnoElsewhere(ctx: CauseContext): { value: number; hit: SignatureHit } | undefined {
  for (const hit of ctx.incident.signatures) {
    const v = hit.fields.errno;
    if (typeof v !== 'number') continue;
    const raises = signatureById(hit.id)?.raises(hit.fields) ?? [];
    if (raises.some((r) => r.cause === 'cgroup.pids' || r.cause === 'seccomp.clone3'))
      return { value: v, hit };
  }
  return undefined;
}
