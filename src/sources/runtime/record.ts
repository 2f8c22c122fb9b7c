// What a runtime recorded about a container, as evidence: the exit as the kubelet would show it
// (kubectl describe's Last State lines, which the k8s.* signatures read), and the process facts the
// runtime was told to apply (user, rlimits, privileged, memory limit) for when no live process shows them.
import type { Evidence, LogLine, ProcessFacts, Subject } from '../../evidence/types.js';
import type { RuntimeContainer } from './types.js';

/** The recorded exit: exit code, reason (OOMKilled or Error), finish time, restart count. */
export function recordedExit(rc: RuntimeContainer | undefined, restartCount: number): Partial<Subject> {
  const out: Partial<Subject> = { restartCount };
  if (!rc) return out;
  out.exitCode = rc.exitCode;
  if (rc.oomKilled) out.reason = 'OOMKilled';
  else if (rc.exitCode !== 0) out.reason = 'Error';
  if (rc.finishedAt) out.finishedAt = rc.finishedAt;
  return out;
}

/** True when the runtime's record says the last run crashed (a non-zero exit, or an OOM kill). */
export function crashedByRuntime(rc: RuntimeContainer | undefined): boolean {
  return !!rc && (rc.oomKilled || rc.exitCode !== 0);
}

/** The record as `kubectl describe` prints it, for the recognizer. */
export function recordLines(rc: RuntimeContainer): LogLine[] {
  if (!crashedByRuntime(rc)) return [];
  return [
    'Last State:     Terminated',
    `  Reason:       ${rc.oomKilled ? 'OOMKilled' : 'Error'}`,
    `  Exit Code:    ${rc.exitCode}`,
  ].map((text, i) => ({ source: rc.source, line: i + 1, text, format: 'plain', truncated: false }));
}

function ev(source: string, text: string): Evidence {
  return { source, text };
}

/** The numeric UID of a "User" value ("1234", "1234:1234"); undefined for names (they need the image's passwd). */
export function numericUser(user: string | undefined): number | undefined {
  if (user === undefined || user === '') return undefined;
  const m = /^(\d{1,10})(?::\d{0,10})?$/.exec(user);
  return m ? Number(m[1]) : undefined;
}

/**
 * The process facts the runtime applies to every instance (they carry over to the crashed one):
 * privileged, memory limit, and, when no live process shows them, the user and rlimits it was told to use.
 */
export function recordedProcessFacts(rc: RuntimeContainer, withUserAndLimits: boolean): ProcessFacts {
  const out: ProcessFacts = {
    privileged: { value: rc.privileged, evidence: ev(rc.source, `privileged: ${rc.privileged}`) },
  };
  if (rc.runtime === 'docker') out.privileged!.evidence.text = `HostConfig.Privileged: ${rc.privileged}`;
  if (rc.memoryLimit !== null)
    out.memoryLimit = {
      value: rc.memoryLimit,
      evidence: ev(
        rc.source,
        rc.runtime === 'docker' ? `HostConfig.Memory: ${rc.memoryLimit}` : `memory limit: ${rc.memoryLimit}`,
      ),
    };
  // What it runs: the fix names that language runtime's own setting.
  if (rc.image)
    out.image = {
      value: rc.image,
      evidence: ev(rc.source, rc.runtime === 'docker' ? `Config.Image: ${rc.image}` : `image: ${rc.image}`),
    };
  if (rc.runtimeEnv)
    out.runtimeEnv = rc.runtimeEnv.map((e) => ({
      value: e,
      evidence: ev(rc.source, `${rc.runtime === 'docker' ? 'Config.Env' : 'env'}: ${e}`),
    }));
  if (!withUserAndLimits) return out;
  const uid = numericUser(rc.user);
  if (uid !== undefined)
    out.realUid = {
      value: uid,
      evidence: ev(rc.source, rc.runtime === 'docker' ? `Config.User: ${rc.user}` : `user: ${rc.user}`),
    };
  for (const [key, name] of [
    ['nprocLimit', 'nproc'],
    ['nofileLimit', 'nofile'],
  ] as const) {
    const u = rc.ulimits.find((x) => x.name === name);
    if (u)
      out[key] = {
        value: u.soft < 0 ? null : u.soft,
        evidence: ev(
          rc.source,
          `${rc.runtime === 'docker' ? 'HostConfig.Ulimits' : 'rlimits'}: ${name}=${u.soft}:${u.hard}`,
        ),
      };
  }
  if (rc.privileged)
    out.capabilities = {
      value: ['SYS_ADMIN', 'SYS_RESOURCE'],
      evidence: ev(
        rc.source,
        `${rc.runtime === 'docker' ? 'HostConfig.Privileged' : 'privileged'}: true (all capabilities)`,
      ),
    };
  return out;
}
