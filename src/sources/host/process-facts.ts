// The facts of one process that decide which limits can apply to it, read from /proc/<pid> under the
// host root: real UID, threads and capabilities (status), user namespace (uid_map), soft rlimits
// (limits), open descriptors (fd) and memory mappings (maps). The caller says whose process it is
// (`of`): the restarted instance found running now, or the crashed one sampled before it died.
// Limits carry over between instances; the usage counts are only about the instance read.
import type { Evidence, Instance, ProcessFacts } from '../../evidence/types.js';
import { capabilityNames, inUserNamespace, parseLimits, parseStatus } from './proc-files.js';
import type { HostRoot } from './root.js';

/** /proc/<pid>/maps of a process near vm.max_map_count (65530 lines of ~100 bytes) fits in this. */
const MAX_MAPS_BYTES = 64 << 20;

function ev(source: string, text: string, line?: number, of?: Instance): Evidence {
  return { source, text, ...(line !== undefined ? { line } : {}), ...(of ? { of } : {}) };
}

const WHOSE: Record<Instance, string> = {
  crashed: 'the crashed instance',
  restarted: 'the restarted instance, now',
  node: 'the node, now',
};

/** The open-descriptor count of a process as evidence (a listing of /proc/<pid>/fd, or its size on Linux 6.2+). */
export function openFilesFact(
  pid: number,
  count: number,
  of: Instance,
): NonNullable<ProcessFacts['openFiles']> {
  const dir = `/proc/${pid}/fd`;
  return { of, value: count, evidence: ev(dir, `${count} open files (${WHOSE[of]})`, undefined, of) };
}

export function readProcessFacts(root: HostRoot, pid: number, of: Instance): ProcessFacts {
  const out: ProcessFacts = {};
  const dir = `/proc/${pid}`;
  const statusText = root.readSmall(`${dir}/status`);
  const st = statusText ? parseStatus(statusText) : undefined;
  if (st && statusText) {
    const lines = statusText.split('\n');
    const at = (key: string): number => lines.findIndex((l) => l.startsWith(key));
    const uidLine = at('Uid:');
    out.realUid = {
      value: st.realUid,
      evidence: ev(`${dir}/status`, lines[uidLine] ?? `Uid: ${st.realUid}`, uidLine + 1),
    };
    out.threads = {
      of,
      value: st.threads,
      evidence: ev(
        `${dir}/status`,
        `Threads: ${st.threads} (${st.name}, ${WHOSE[of]})`,
        at('Threads:') + 1,
        of,
      ),
    };
    if (st.capEff !== undefined) {
      const capLine = at('CapEff:');
      out.capabilities = {
        value: capabilityNames(st.capEff),
        evidence: ev(`${dir}/status`, lines[capLine] ?? `CapEff: ${st.capEffHex}`, capLine + 1),
      };
    }
  }
  const uidMap = root.readSmall(`${dir}/uid_map`);
  if (uidMap !== undefined) {
    const first = uidMap.trim().split('\n')[0]?.trim().replace(/\s+/g, ' ') ?? '';
    out.userNamespace = { value: inUserNamespace(uidMap), evidence: ev(`${dir}/uid_map`, first) };
  }
  const limitsText = root.readSmall(`${dir}/limits`);
  if (limitsText) {
    const rows = parseLimits(limitsText);
    const np = rows.get('Max processes');
    const nf = rows.get('Max open files');
    if (np) out.nprocLimit = { value: np.soft, evidence: ev(`${dir}/limits`, np.text, np.line) };
    if (nf) out.nofileLimit = { value: nf.soft, evidence: ev(`${dir}/limits`, nf.text, nf.line) };
  }
  const fds = root.list(`${dir}/fd`, { quiet: true });
  if (fds !== undefined) out.openFiles = openFilesFact(pid, fds.length, of);
  const maps = root.readSmall(`${dir}/maps`, MAX_MAPS_BYTES);
  if (maps !== undefined) {
    const count = maps.split('\n').filter((l) => l !== '').length;
    out.mapCount = {
      of,
      value: count,
      evidence: ev(`${dir}/maps`, `${count} mappings (${WHOSE[of]})`, undefined, of),
    };
  }
  return out;
}
