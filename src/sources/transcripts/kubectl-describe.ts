// `kubectl describe pod` (k8s:staging/src/k8s.io/kubectl/pkg/describe/describe.go, describeContainerState):
// Name, Namespace, Node "<name>/<ip>", then per container "State:", "Last State:" with "Reason:" and
// "Exit Code:", "Restart Count:", and "Limits:" with "memory: 512Mi". The Last State is the instance
// that crashed; a State of Terminated is too when no Last State follows. Read after the command, or
// from a "Last State:" / "Restart Count:" line pasted alone.
import type { Subject } from '../../evidence/types.js';
import type { Reader, Sink, TLine, TranscriptParser } from './types.js';
import { optionOf } from './lines.js';
import { positional } from './kubectl-logs.js';
import { quantityBytes } from './quantity.js';

const FIELD = /^(\s{0,16})([A-Z][A-Za-z ]{0,30}|memory|cpu):\s{0,40}(.{0,300})$/;

export const kubectlDescribe: TranscriptParser = {
  id: 'kubectl-describe',
  forCommand(cmd, sink) {
    const a = cmd.argv;
    if (!['kubectl', 'oc'].includes(a[0]!) || cmd.inContainer) return undefined;
    const at = a.indexOf('describe');
    if (at < 0 || !/^(po|pod|pods)(\/|$)/.test(a[at + 1] ?? '')) return undefined;
    const target = a[at + 1]!.includes('/') ? a[at + 1]!.split('/')[1] : positional(a.slice(at + 2));
    const namespace = optionOf(a, '-n', '--namespace');
    if (target && !sink.named) sink.named = { pod: target, ...(namespace ? { namespace } : {}) };
    return describe(sink, namespace);
  },
  forLine(l, sink) {
    if (!/^\s{0,16}(Last State:\s{1,40}Terminated|Restart Count:\s{1,40}\d)/.test(l.text)) return undefined;
    const r = describe(sink, undefined);
    r.line(l);
    return r;
  },
};

interface ContainerBlock {
  name?: string;
  lastState?: { reason?: string; exitCode?: number; line?: TLine };
  state?: { terminated: boolean; reason?: string; exitCode?: number; line?: TLine };
  restarts?: { value: number; line: TLine };
  memory?: { value: number; line: TLine };
  /** "Image: eclipse-temurin:17-jre": which language runtime the fix is for. */
  image?: { value: string; line: TLine };
}

function describe(sink: Sink, namespace: string | undefined): Reader {
  const pod: Partial<Subject> & { lines: TLine[] } = { lines: [], ...(namespace ? { namespace } : {}) };
  const blocks: ContainerBlock[] = [];
  let block: ContainerBlock | undefined;
  let inState: 'state' | 'last' | undefined;
  let inLimits = false;
  let containers = false;
  const cur = (): ContainerBlock => (block ??= (blocks.push({}), blocks[blocks.length - 1]!));
  return {
    line(l) {
      const t = l.text;
      if (t.trim() === '') return false;
      // "  calico-node:" under "Containers:" starts a container.
      const name = containers ? /^\s{1,6}([a-z0-9][-a-z0-9]{0,62}):\s*$/.exec(t) : null;
      if (name) {
        block = { name: name[1]! };
        blocks.push(block);
        inState = undefined;
        inLimits = false;
        return true;
      }
      const m = FIELD.exec(t);
      // Other fields ("Image(s):", "IPs:"), indented values and the events table stay in the block.
      if (!m)
        return (
          /^\s{0,16}[A-Z][\w ()./-]{0,40}:/.test(t) ||
          /^\s{2,}\S/.test(t) ||
          /^\s*(Type|Normal|Warning)\s/.test(t)
        );
      const [, , key, value = ''] = m;
      const v = value.trim();
      switch (key) {
        case 'Name':
          if (!containers && !pod.pod && /^[a-z0-9][-a-z0-9.]{0,252}$/.test(v)) {
            pod.pod = v;
            pod.lines.push(l);
          }
          break;
        case 'Namespace':
          if (!containers && /^[a-z0-9][-a-z0-9]{0,62}$/.test(v)) {
            pod.namespace = v;
            pod.lines.push(l);
          }
          break;
        case 'Node':
          if (!containers && /^[A-Za-z0-9][\w.-]{0,252}(\/[\d.:a-f]{2,45})?$/.test(v)) {
            pod.node = v.split('/')[0]!;
            pod.lines.push(l);
          }
          break;
        case 'Containers':
        case 'Init Containers':
          containers = true;
          break;
        case 'State':
          inState = 'state';
          inLimits = false;
          cur().state = { terminated: v === 'Terminated', line: l };
          break;
        case 'Last State':
        case 'Last Termination State':
          inState = 'last';
          inLimits = false;
          if (v === 'Terminated') cur().lastState = { line: l };
          break;
        case 'Reason':
        case 'Exit Code': {
          const target = inState === 'last' ? cur().lastState : inState === 'state' ? cur().state : undefined;
          if (!target) break;
          if (key === 'Reason' && /^[A-Za-z][\w-]{0,63}$/.test(v)) target.reason = v;
          if (key === 'Exit Code' && /^\d{1,3}$/.test(v)) {
            target.exitCode = Number(v);
            target.line = l; // the exit code is the line that proves the crash
          }
          break;
        }
        case 'Image':
          if (containers && /^[\w./:@-]{1,255}$/.test(v)) cur().image = { value: v, line: l };
          break;
        case 'Restart Count':
          if (/^\d{1,9}$/.test(v)) cur().restarts = { value: Number(v), line: l };
          inState = undefined;
          break;
        case 'Limits':
          inLimits = true;
          inState = undefined;
          break;
        case 'Requests':
        case 'Ready':
        case 'Environment':
        case 'Mounts':
          inLimits = false;
          break;
        case 'memory': {
          const bytes = quantityBytes(v);
          if (inLimits && bytes !== undefined) cur().memory = { value: bytes, line: l };
          break;
        }
      }
      return true;
    },
    end() {
      emit(sink, pod, blocks);
    },
  };
}

function emit(sink: Sink, pod: Partial<Subject> & { lines: TLine[] }, blocks: ContainerBlock[]): void {
  const P = 'kubectl-describe';
  // The container that crashed: the named one, else the one with a terminated last state, else the only one.
  const named = sink.named?.container;
  const b =
    blocks.find((x) => named && x.name === named) ??
    blocks.find((x) => x.lastState) ??
    (blocks.length === 1 ? blocks[0] : undefined);
  const first = pod.lines[0];
  if (first) {
    const identity: Partial<Subject> = {};
    if (pod.pod) identity.pod = pod.pod;
    if (pod.namespace) identity.namespace = pod.namespace;
    if (pod.node) identity.node = pod.node;
    for (const l of pod.lines) sink.setSubject(P, l, identity);
  }
  if (!b) return;
  const at = b.restarts?.line ?? b.lastState?.line ?? b.state?.line;
  if (b.name && at) sink.setSubject(P, at, { container: b.name });
  const crashed = b.lastState ?? (b.state?.terminated ? b.state : undefined);
  if (crashed?.line) {
    sink.setSubject(P, crashed.line, {
      ...(crashed.reason ? { reason: crashed.reason } : {}),
      ...(crashed.exitCode !== undefined ? { exitCode: crashed.exitCode } : {}),
    });
  }
  if (b.restarts) sink.setSubject(P, b.restarts.line, { restartCount: b.restarts.value });
  if (b.image && !sink.process.image) {
    sink.process.image = { value: b.image.value, evidence: sink.ev(b.image.line) };
    sink.saw(P, b.image.line);
  }
  if (b.memory && !sink.process.memoryLimit) {
    sink.process.memoryLimit = { value: b.memory.value, evidence: sink.ev(b.memory.line) };
    sink.saw(P, b.memory.line);
  }
}
