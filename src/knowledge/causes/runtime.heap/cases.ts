// Real crashes of runtime.heap: the runtime's own message is the proof; an OOM kill means the
// container limit came first.
import type { CauseCase } from '../../types.js';
import { HEAP, HEAP_SOURCE, OOMKILLED, OOMKILLED_SOURCE } from '../shared/memory-lines.js';

export const cases: CauseCase[] = [
  {
    name: 'the JVM\'s own "Java heap space" confirms its heap cap',
    source: HEAP_SOURCE,
    log: [HEAP],
    expect: { verdict: 'confirmed', first: true, said: [/Java heap space/], above: ['memory.cgroup'] },
  },
  {
    name: 'V8\'s "JavaScript heap out of memory" confirms its heap cap',
    source: 'https://github.com/website-local/mdn-local/issues/1144',
    log: ['FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory'],
    expect: { verdict: 'confirmed', said: [/JavaScript heap out of memory|Reached heap limit/] },
  },
  {
    name: '.NET OutOfMemoryException in an OOMKilled container: the kernel limit came first',
    source: `https://github.com/dotnet/corefx/issues/30652; ${OOMKILLED_SOURCE}`,
    log: [
      "Type=System.OutOfMemoryException Exception=System.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was thrown.",
      OOMKILLED,
    ],
    expect: { verdict: 'unlikely', missing: [/JAVA_TOOL_OPTIONS/] },
  },
];
