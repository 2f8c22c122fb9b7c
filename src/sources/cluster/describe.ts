// What the API says about a crashed container, written as the lines `kubectl describe pod` prints
// (Last State / Reason / Exit Code, the Warning events): the same Recognizer that reads a pasted
// describe output reads these, so a cluster fact and a pasted one raise the same causes. Each line
// keeps the object and field it came from as its evidence source.
import type { LogLine } from '../../evidence/types.js';
import { EventView, podView, type WireObject } from './wire.js';

export function describeLines(pod: WireObject, container: string, events: WireObject[]): LogLine[] {
  const out: LogLine[] = [];
  const view = podView(pod);
  if (!view) return out;
  const p = { data: view };
  const ns = p.data.metadata.namespace ?? 'default';
  const name = p.data.metadata.name;
  const statuses = [
    ...(p.data.status?.containerStatuses ?? []),
    ...(p.data.status?.initContainerStatuses ?? []),
  ];
  const s = statuses.find((x) => x.name === container);
  const push = (source: string, text: string) =>
    out.push({
      source,
      line: out.filter((l) => l.source === source).length + 1,
      text,
      format: 'plain',
      truncated: false,
    });
  if (s) {
    const src = `pod ${ns}/${name} status.containerStatuses[${container}]`;
    if (s.state?.waiting?.reason) {
      push(src, 'State:          Waiting');
      push(src, `  Reason:       ${s.state.waiting.reason}`);
    }
    for (const [label, t] of [
      ['State:          Terminated', s.state?.terminated],
      ['Last State:     Terminated', s.lastState?.terminated],
    ] as const) {
      if (!t) continue;
      push(src, label);
      if (t.reason) push(src, `  Reason:       ${t.reason}`);
      if (t.exitCode !== undefined) push(src, `  Exit Code:    ${t.exitCode}`);
      if (t.finishedAt) push(src, `  Finished:     ${t.finishedAt}`);
    }
    push(src, `Restart Count:  ${s.restartCount ?? 0}`);
  }
  const src = `events of pod ${ns}/${name}`;
  for (const raw of events) {
    const e = EventView.safeParse(raw);
    if (!e.success) continue;
    const field = e.data.involvedObject?.fieldPath;
    // Events of another container of the same pod are not this container's evidence.
    if (field && field.startsWith('spec.') && !field.includes(`{${container}}`)) continue;
    const count = e.data.count && e.data.count > 1 ? ` (x${e.data.count})` : '';
    push(
      src,
      `${e.data.type ?? 'Normal'}  ${e.data.reason ?? ''}${count}  ${(e.data.message ?? '').replace(/\s+/g, ' ').slice(0, 2000)}`,
    );
  }
  return out;
}
