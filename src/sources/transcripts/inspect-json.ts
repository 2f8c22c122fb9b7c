// `docker inspect` / `podman inspect` and `crictl inspect` JSON. Docker (moby api/types container
// State, HostConfig): State.Status, State.ExitCode, State.OOMKilled, HostConfig.PidsLimit (0 or -1 or
// null: no limit), HostConfig.Memory (0: no limit), HostConfig.Ulimits [{Name, Soft, Hard}],
// HostConfig.Privileged. crictl (CRI ContainerStatus + containerd's info): status.state,
// status.exitCode, status.reason, status.labels io.kubernetes.*, annotations
// io.kubernetes.container.restartCount, info.runtimeSpec.process.rlimits [{type, soft, hard}],
// info.runtimeSpec.linux.resources.pids.limit / memory.limit, info.runtimeSpec.linux.cgroupsPath,
// info.privileged. An exited container's record is the crashed instance; "OOMKilled": false is a
// fact too and never becomes an OOM reason. A healthcheck's ExitCode (State.Health.Log[]) is not the
// container's.
import type { Fact, ProcessFacts } from '../../evidence/types.js';
import { JsonLines, type Scalar } from './json-lines.js';
import { basename, optionOf } from './lines.js';
import type { Reader, Sink, TLine, TranscriptParser } from './types.js';

const P = 'inspect-json';

export const inspectJson: TranscriptParser = {
  id: P,
  forCommand(cmd, sink) {
    const a = cmd.argv;
    const tool = basename(a[0] ?? '');
    if (!['docker', 'podman', 'nerdctl', 'crictl'].includes(tool) || cmd.inContainer) return undefined;
    if (!(a[1] === 'inspect' || (a[1] === 'container' && a[2] === 'inspect'))) return undefined;
    // -f '{{json .State}}' prints the State object alone: its keys sit under State.
    const format = optionOf(a, '-f', '--format') ?? '';
    const root = /^\{\{\s*json\s+\.(State|HostConfig)\s*\}\}$/.exec(format)?.[1];
    return reader(sink, root ? [root] : []);
  },
  forLine(l, sink) {
    // A grepped or cut paste: a line that only docker/crictl inspect prints.
    if (!/^\s{0,40}"(OOMKilled|PidsLimit)":\s{0,4}(true|false|null|-?\d{1,19}),?$/.test(l.text))
      return undefined;
    const r = reader(sink, []);
    r.line(l);
    return r;
  },
};

function reader(sink: Sink, root: string[]): Reader {
  const state: {
    status?: string;
    exitCode?: { v: number; l: TLine };
    oom?: { v: boolean; l: TLine };
    pids?: { v: number | null; l: TLine };
    cgroupsPath?: string;
    id?: string;
  } = {};
  const json = new JsonLines(
    {
      scalar(path, value, l) {
        const key = path[path.length - 1]!;
        const parent = path[path.length - 2];
        const grandparent = path[path.length - 3];
        // Docker's State.
        if ((parent === 'State' || parent === undefined) && key === 'Status' && typeof value === 'string')
          state.status = value;
        if ((parent === 'State' || parent === undefined) && key === 'ExitCode' && typeof value === 'number')
          state.exitCode ??= { v: value, l };
        if ((parent === 'State' || parent === undefined) && key === 'OOMKilled' && typeof value === 'boolean')
          state.oom ??= { v: value, l };
        // crictl's status.
        if (parent === 'status' && key === 'state' && typeof value === 'string') state.status = value;
        if (parent === 'status' && key === 'exitCode' && typeof value === 'number')
          state.exitCode ??= { v: value, l };
        if (
          parent === 'status' &&
          key === 'reason' &&
          typeof value === 'string' &&
          /^[A-Za-z][\w-]{0,63}$/.test(value)
        )
          sink.setSubject(P, l, { reason: value });
        if (parent === 'labels' || parent === 'annotations') label(sink, key, value, l);
        // Limits.
        if (
          ((parent === 'HostConfig' || parent === undefined) && key === 'PidsLimit') ||
          (parent === 'pids' && grandparent === 'resources' && key === 'limit')
        ) {
          const v = pidsMax(value);
          if (v !== undefined) state.pids ??= { v, l };
        }
        if (key === 'cgroupsPath' && typeof value === 'string' && /^[\w/.:@-]{1,1024}$/.test(value))
          state.cgroupsPath = value;
        if (
          (key === 'Id' || key === 'id') &&
          path.length <= 3 &&
          typeof value === 'string' &&
          /^[0-9a-f]{12,64}$/.test(value)
        )
          state.id ??= value;
        if (parent === 'HostConfig' && key === 'Memory' && typeof value === 'number')
          memory(sink, value <= 0 ? null : value, l);
        if (
          parent === 'memory' &&
          grandparent === 'resources' &&
          key === 'limit' &&
          typeof value === 'number'
        )
          memory(sink, value <= 0 ? null : value, l);
        if (
          (parent === 'HostConfig' && key === 'Privileged') ||
          (parent === 'info' && key === 'privileged')
        ) {
          if (typeof value === 'boolean' && !sink.process.privileged) {
            sink.process.privileged = { value, evidence: sink.ev(l) };
            sink.saw(P, l);
          }
        }
      },
      object(path, fields, l) {
        const parent = path[path.length - 2];
        // HostConfig.Ulimits[] {Name, Soft, Hard} and the OCI spec's process.rlimits[] {type, soft, hard}.
        const name =
          parent === 'Ulimits' ? fields['Name'] : parent === 'rlimits' ? fields['type'] : undefined;
        const soft = parent === 'Ulimits' ? fields['Soft'] : fields['soft'];
        if (typeof name !== 'string' || typeof soft !== 'number') return;
        const value = soft < 0 || soft >= Number.MAX_SAFE_INTEGER ? null : soft;
        const fact: Fact<number | null> = { value, evidence: sink.ev(l) };
        if (/^(nproc|RLIMIT_NPROC)$/.test(name)) sink.process.nprocLimit ??= fact;
        if (/^(nofile|RLIMIT_NOFILE)$/.test(name)) sink.process.nofileLimit ??= fact;
        sink.saw(P, l);
      },
    },
    root,
  );
  return {
    line: (l) => json.line(l),
    end() {
      if (state.pids) {
        // The limit is the container's own cgroup; its path is the runtime's cgroupsPath when shown.
        const path = state.cgroupsPath
          ? cgroupOfSpecPath(state.cgroupsPath)
          : `container ${state.id?.slice(0, 12) ?? ''}`.trim();
        sink.cgroup(P, state.pids.l, { path, level: 'container', controller: 'pids' }, { max: state.pids.v });
      }
      // Only an exited container's record is the crashed instance's (a running one's ExitCode is 0).
      const exited = state.status === undefined || /^(exited|dead|CONTAINER_EXITED)$/.test(state.status);
      if (!exited) return;
      if (state.exitCode && state.exitCode.v !== 0)
        sink.setSubject(P, state.exitCode.l, { exitCode: state.exitCode.v });
      if (state.oom?.v === true) sink.setSubject(P, state.oom.l, { reason: 'OOMKilled' });
    },
  };
}

function label(sink: Sink, key: string, value: Scalar, l: TLine): void {
  if (typeof value !== 'string') return;
  const map: Record<string, 'pod' | 'namespace' | 'container' | 'restartCount'> = {
    'io.kubernetes.pod.name': 'pod',
    'io.kubernetes.pod.namespace': 'namespace',
    'io.kubernetes.container.name': 'container',
    'io.kubernetes.container.restartCount': 'restartCount',
  };
  const field = map[key];
  if (!field || !/^[a-z0-9][-a-z0-9.]{0,252}$/.test(value)) return;
  if (field === 'restartCount') {
    if (/^\d{1,9}$/.test(value)) sink.setSubject(P, l, { restartCount: Number(value) });
  } else sink.setSubject(P, l, { [field]: value });
}

/** Docker's PidsLimit and the OCI pids.limit: 0, -1 and null mean no limit. */
function pidsMax(value: Scalar): number | null | undefined {
  if (typeof value === 'number') return value > 0 ? value : value === 0 || value === -1 ? null : undefined;
  return value === null ? null : undefined;
}

/** The OCI cgroupsPath as /proc/<pid>/cgroup names it: "kubepods-burstable-pod<uid>.slice:cri-containerd:<id>" (systemd) or a path. */
function cgroupOfSpecPath(p: string): string {
  const m = /^([\w.@-]{1,256}\.slice):([\w-]{1,64}):([0-9a-f]{12,64})$/.exec(p);
  if (!m) return p.startsWith('/') ? p : `/${p}`;
  // systemd: each dash-separated prefix of the slice is a parent slice.
  const slice = m[1]!;
  const parts = slice.replace(/\.slice$/, '').split('-');
  const slices = parts.map((_, i) => `${parts.slice(0, i + 1).join('-')}.slice`);
  return `/${slices.join('/')}/${m[2]}-${m[3]}.scope`;
}

function memory(sink: Sink, value: number | null, l: TLine): void {
  const p: ProcessFacts = sink.process;
  if (p.memoryLimit) return;
  p.memoryLimit = { value, evidence: sink.ev(l) };
  sink.saw(P, l);
}
