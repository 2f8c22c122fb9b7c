// Real crashes of fs.file-max: ENFILE ("in system") is the node's limit, never the process's.
import type { CauseCase } from '../../types.js';
import { nodeFacts } from '../shared/case-facts.js';

const ENFILE = 'find: fts_read: Too many open files in system';
const ENFILE_SOURCE = 'https://github.com/nystudio107/craft-scripts/issues/16';
const VFS = '[Sun Dec  1 14:54:40 2024] VFS: file-max limit 1000000 reached';

export const cases: CauseCase[] = [
  {
    name: 'the kernel\'s "VFS: file-max limit N reached" confirms it',
    source: `${ENFILE_SOURCE}; the kernel line from https://github.com/leptonai/gpud/pull/224`,
    log: [ENFILE],
    node: nodeFacts({
      kernelLines: [{ kind: 'file-max', evidence: { source: '/var/log/messages', line: 5, text: VFS } }],
    }),
    expect: { verdict: 'confirmed', first: true, evidence: [VFS], notRaised: ['rlimit.nofile'] },
  },
  {
    name: 'the kernel line in the incident itself confirms it',
    source: 'https://github.com/leptonai/gpud/pull/224',
    log: [VFS],
    expect: { verdict: 'confirmed', evidence: [VFS] },
  },
  {
    name: "ENFILE alone: the process's own limit is not a candidate, the node's is open",
    source: ENFILE_SOURCE,
    log: [ENFILE],
    expect: { verdict: 'possible', notRaised: ['rlimit.nofile'], missing: [/file-nr/] },
  },
  {
    name: 'libuv\'s ENFILE wording "file table overflow" is the node\'s limit too',
    source: 'https://github.com/orbstack/orbstack/issues/2462',
    log: ['Error: ENFILE: file table overflow'],
    expect: { verdict: 'possible', first: true, notRaised: ['rlimit.nofile'] },
  },
];
