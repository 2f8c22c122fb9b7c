// Commands that name the pod and container a post is about without printing facts themselves:
// `kubectl logs [-p] <pod> [-c container] [-n ns]` and `kubectl describe pod <pod>` (its output is
// kubectl-describe's). Among several `kubectl get pod` rows, the named pod is the subject.
import type { TranscriptParser } from './types.js';
import { optionOf } from './lines.js';

export const kubectlLogs: TranscriptParser = {
  id: 'kubectl-logs',
  forCommand(cmd, sink) {
    const a = cmd.argv;
    if (!['kubectl', 'oc'].includes(a[0]!) || cmd.inContainer) return undefined;
    const at = a.indexOf('logs');
    if (at < 0) return undefined;
    const pod = positional(a.slice(at + 1))?.replace(/^(pod|po|pods)\//, '');
    if (pod && /^[a-z0-9][-a-z0-9.]{0,252}$/.test(pod) && !sink.named) {
      const namespace = optionOf(a, '-n', '--namespace');
      const container = optionOf(a, '-c', '--container');
      sink.named = { pod, ...(namespace ? { namespace } : {}), ...(container ? { container } : {}) };
      sink.saw('kubectl-logs', cmd.line);
    }
    return undefined; // the output is crash output: the scanner reads it
  },
};

/** The first word that is neither an option nor an option's value. */
export function positional(args: string[]): string | undefined {
  const withValue = /^(-n|--namespace|-c|--container|--tail|--since|-l|--selector|-o|--output|--context)$/;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (withValue.test(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}
