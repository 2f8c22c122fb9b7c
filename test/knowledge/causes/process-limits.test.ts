// The process's own ceilings (Go's 10000-thread cap, vm.max_map_count) and the non-limit causes
// (seccomp on clone3, a dead pid-namespace init). A small "have N already" rules the own ceilings out
// by arithmetic; errno 1 and 12 point at the non-limits.
import { describe, expect, it } from 'vitest';
import { assess, dataHit, fact, hasSourcedEvidence, node, said, SEED_LOG, usage } from './helpers.js';

// https://github.com/adjust/go-wrk/issues/28
const GO_CAP = ['runtime: program exceeds 10000-thread limit', 'fatal error: thread exhaustion'];
// https://github.com/docker-library/golang/issues/467
const CGO_EPERM = ['runtime/cgo: pthread_create failed: Operation not permitted'];
// corpus argocd-controller-newosproc-errno12 (argoproj/argo-cd#4692)
const ERRNO12 = ['runtime: failed to create new OS thread (have 64 already; errno=12)'];
// corpus es-max-map-count-after-node-reboot
const ES = '[1]: max virtual memory areas vm.max_map_count [65530] is too low, increase to at least [262144]';

describe('runtime.max-threads', () => {
  it('"program exceeds 10000-thread limit" confirms the cap', () => {
    const a = assess('runtime.max-threads', { lines: GO_CAP });
    expect(a.verdict).toBe('confirmed');
    expect(said(a)).toMatch(/10000/);
    expect(a.evidence[0]).toMatchObject({ source: 'crash.log', line: 1 });
  });

  it('"have 41 already" is far below the cap: ruled out with the arithmetic', () => {
    const raise = { cause: 'runtime.max-threads', weight: 0.1, why: 'test' };
    const a = assess('runtime.max-threads', { lines: SEED_LOG, raise });
    expect(a.verdict).toBe('ruled-out');
    expect(said(a)).toMatch(/41 of 10000 threads/);
    expect(said(a)).toMatch(/errno 11/);
  });
});

describe('vm.max_map_count', () => {
  const raise = { cause: 'vm.max_map_count', weight: 0.1, why: 'test' };
  it("Elasticsearch's bootstrap check names the value and its requirement: confirmed", () => {
    const a = assess('vm.max_map_count', {
      hits: [dataHit('elasticsearch.bootstrap', ES, {}, 'es.log', 3)],
      raise,
    });
    expect(a.verdict).toBe('confirmed');
    expect(said(a)).toMatch(/65530 < 262144/);
  });

  it('41 threads need about 82 mappings of 65530: unlikely, with the arithmetic', () => {
    const a = assess('vm.max_map_count', {
      lines: SEED_LOG,
      raise,
      node: node({ maxMapCount: fact(65530, '/proc/sys/vm/max_map_count', '65530', 1) }),
    });
    expect(a.verdict).toBe('unlikely');
    expect(said(a)).toMatch(/41 threads × 2 mappings .* ≈ 82, far below 65530/);
    expect(hasSourcedEvidence(a)).toBe(true);
  });

  it('a process at the cap: confirmed', () => {
    const a = assess('vm.max_map_count', {
      lines: SEED_LOG,
      raise,
      process: { mapCount: usage('crashed', 65530, '/proc/811/maps', '65530 lines') },
    });
    expect(a.verdict).toBe('confirmed');
  });
});

describe('seccomp.clone3', () => {
  it('EPERM from cgo pthread_create (glibc path): likely', () => {
    const a = assess('seccomp.clone3', { lines: CGO_EPERM });
    expect(a.verdict).toBe('likely');
    expect(said(a)).toMatch(/not a resource limit/);
    expect(a.missing.join(' ')).toMatch(/ldd --version/);
  });

  it('privileged containers run Unconfined: ruled out', () => {
    const a = assess('seccomp.clone3', {
      lines: CGO_EPERM,
      process: { privileged: fact(true, 'pod.yaml', 'privileged: true') },
    });
    expect(a.verdict).toBe('ruled-out');
  });

  it("errno=1 from Go's own newosproc: clone, not clone3, so unlikely", () => {
    const a = assess('seccomp.clone3', {
      lines: ['runtime: failed to create new OS thread (have 7 already; errno=1)'],
    });
    expect(a.verdict).toBe('unlikely');
    expect(said(a)).toMatch(/clone, not clone3/);
  });

  it("the node's runtime version decides between old and fixed profiles", () => {
    const old = assess('seccomp.clone3', {
      lines: CGO_EPERM,
      node: node({ runtime: fact('docker 20.10.8', '/usr/bin/dockerd --version', 'Docker version 20.10.8') }),
    });
    expect(old.verdict).toBe('likely');
    expect(said(old)).toMatch(/older than the fix/);
    const fixed = assess('seccomp.clone3', {
      lines: CGO_EPERM,
      node: node({ runtime: fact('containerd 1.6.20', 'containerd --version', 'containerd 1.6.20') }),
    });
    expect(fixed.verdict).toBe('unlikely');
  });
});

describe('pidns.init-exited', () => {
  it('errno 12 from a running program: unlikely, with how to check PID 1', () => {
    const a = assess('pidns.init-exited', { lines: ERRNO12 });
    expect(a.verdict).toBe('unlikely');
    expect(said(a)).toMatch(/PID 1/);
    expect(a.missing.join(' ')).toMatch(/\/proc\/1\/cmdline/);
  });

  it('bash "fork: Cannot allocate memory" (man7 fork(2) wording): possible, an exec into a dying container fits', () => {
    const a = assess('pidns.init-exited', { lines: ['bash: fork: Cannot allocate memory'] });
    expect(a.verdict).toBe('possible');
    expect(said(a)).toMatch(/terminating container/);
    expect(a.missing.length).toBeGreaterThan(0);
  });
});
