// The Erlang VM (BEAM: Erlang, Elixir, RabbitMQ, CouchDB, ejabberd, MongooseIM) beyond thread
// creation (native-threads.ts): its allocators giving up ("eheap_alloc: Cannot allocate N bytes of
// memory (of type "heap")") and the crash slogan of its port helper ("erl_child_setup closed").
import type { Fields, SignatureDef } from '../types.js';

const allocFailed: SignatureDef = {
  id: 'beam.alloc-failed',
  family: 'beam',
  title: 'The Erlang VM could not allocate memory (eheap_alloc: Cannot allocate N bytes)',
  keywords: ['_alloc: Cannot allocate'],
  // erts_alloc_enomem: "%s: Cannot allocate %bpu bytes of memory (of type \"%s\").", then a crash dump and abort().
  pattern:
    /\b([a-z_]{1,40}_alloc): Cannot (?:allocate|reallocate) (\d{1,20}) bytes of memory \(of type "([^"\n]{1,40})"\)/,
  fields: (m): Fields => ({ allocator: m[1]!, bytes: Number(m[2]), type: m[3]! }),
  raises: (f) => [
    {
      cause: 'memory.node',
      weight: 0.6,
      why: `The BEAM's ${String(f.allocator)} got no memory from the kernel for ${String(f.bytes)} bytes: mmap or malloc failed, which is the node's commit accounting refusing it (vm.overcommit_memory=2 past CommitLimit, or the heuristic refusing more than RAM plus swap). A memory cgroup never fails an allocation: it OOM-kills silently. An address-space limit (ulimit -v) fails the same mmap.`,
    },
  ],
  docs: {
    what: 'An allocator of the Erlang runtime (eheap_alloc for process heaps, binary_alloc, ets_alloc...) could not get memory from the operating system; the VM writes erl_crash.dump with this slogan and aborts. The number of bytes is the one request that failed, often a process heap grown by a mailbox or a large binary.',
    confirm: [
      'grep -E "CommitLimit|Committed_AS" /proc/meminfo; sysctl vm.overcommit_memory; free -m (swap); ulimit -v.',
      'erl_crash.dump: the "Slogan" and the memory section name the allocator and the process that grew.',
    ],
    fix: [
      'Add RAM or swap, or relax vm.overcommit_memory on the node; find the process whose heap grew (recon, observer).',
    ],
    sources: [
      'erlang/otp:erts/emulator/beam/erl_alloc.c (erts_alloc_enomem)',
      'https://github.com/cloudozer/ling/issues/86',
    ],
  },
  cases: [
    {
      source: 'https://github.com/cloudozer/ling/issues/86 (a build VM with 2 GB of RAM and 600 MB free)',
      log: ['> eheap_alloc: Cannot allocate 367904368 bytes of memory (of type "old_heap").'],
      fields: { allocator: 'eheap_alloc', bytes: 367904368, type: 'old_heap' },
    },
  ],
  nonMatching: ['binary_alloc: allocated 1024 bytes'],
};

const childSetupClosed: SignatureDef = {
  id: 'beam.child-setup-closed',
  family: 'beam',
  title: 'The Erlang VM crashed because its port helper exited (erl_child_setup closed)',
  keywords: ['erl_child_setup closed'],
  pattern: /erl_child_setup closed/,
  raises: () => [
    {
      cause: 'memory.node',
      weight: 0.3,
      why: 'erl_child_setup is forked by the VM at start and forks every port program; when it dies or cannot be started the VM aborts with this slogan. Threads that found the cause fixed it with more memory or swap: a large VM whose fork the commit accounting refused.',
    },
    {
      cause: 'memory.cgroup',
      weight: 0.2,
      why: 'An OOM kill of the container (memory.oom.group kills every process of it on cgroup v2) takes erl_child_setup with it.',
    },
  ],
  docs: {
    what: 'The BEAM\'s helper process erl_child_setup exited, so the VM can no longer spawn ports and writes erl_crash.dump with the slogan "erl_child_setup closed". It dies with the memory of the node or the container (a refused fork at start, an OOM kill), or by a signal sent to every process of a container being stopped (OTP < 21 crashed on SIGTERM).',
    confirm: [
      'dmesg -T | grep -E "invoked oom-killer|Killed process"; free -m; grep -E "CommitLimit|Committed_AS" /proc/meminfo.',
      'A crash during a container stop is the SIGTERM case (erlang/otp#3574), not a limit.',
    ],
    fix: [
      'Add memory or swap (see memory.node, memory.cgroup); OTP >= 21 ignores SIGTERM in erl_child_setup.',
    ],
    sources: [
      'erlang/otp:erts/emulator/sys/unix/erl_child_setup.c',
      'https://github.com/esl/MongooseIM/issues/1265',
      'https://github.com/erlang/otp/issues/3574',
    ],
  },
  cases: [
    {
      source: 'https://github.com/esl/MongooseIM/issues/1265 ("creating swap space resolved the issue")',
      log: ['erl_child_setup closed'],
    },
    {
      source: 'https://github.com/erlang/otp/issues/3574 (erl_crash.dump slogan)',
      log: ['Slogan: erl_child_setup closed'],
    },
  ],
};

export const signatures: SignatureDef[] = [allocFailed, childSetupClosed];
