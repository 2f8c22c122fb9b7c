// The recorder's sampler on a cgroup v2 node whose containers run in a private cgroup namespace
// (Docker's default on v2): /proc/<pid>/cgroup reads "0::/", relative to the container's own cgroup.
// The sampler places it with the runtime's cgroupsPath (cgroupfs and systemd forms) and reads the
// container's chain, not the host's root. This machine is cgroup v1, so the node is a snapshot root
// laid out as a v2 node is.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sampler } from '../../src/agent/sampler.js';

const UID = '8c1e5d7a-3f2b-4e91-a6d4-5b0f9c27e813';
const ID = '4f9a1c3e7b2d8e6f0a5c9b1d3e7f2a4c6b8d0e1f3a5c7b9d2e4f6a8c0b1d3e5f';
const PID = 4242;

const layouts = {
  cgroupfs: {
    cgroupsPath: `/kubepods/burstable/pod${UID}/${ID}`,
    dir: `/kubepods/burstable/pod${UID}/${ID}`,
  },
  systemd: {
    cgroupsPath: `kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice:cri-containerd:${ID}`,
    dir: `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID.replace(/-/g, '_')}.slice/cri-containerd-${ID}.scope`,
  },
};

function v2Node(containerDir: string): string {
  const root = mkdtempSync(join(tmpdir(), 'pm-cgroupns-'));
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const cg = '/sys/fs/cgroup';
  put(`${cg}/cgroup.controllers`, 'cpuset cpu io memory hugetlb pids rdma misc\n');
  // The host's root cgroup: what "0::/" would name if taken as a host path.
  put(`${cg}/pids.current`, '5123\n');
  put(`${cg}/memory.current`, '8000000000\n');
  put(`${cg}${containerDir}/pids.max`, '64\n');
  put(`${cg}${containerDir}/pids.current`, '64\n');
  put(`${cg}${containerDir}/pids.events`, 'max 7\n');
  put(`${cg}${containerDir}/memory.max`, '268435456\n');
  put(`${cg}${containerDir}/memory.current`, '201326592\n');
  put(`${cg}${containerDir}/memory.events`, 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n');
  put(`${cg}${dirname(containerDir)}/pids.max`, '1024\n');
  put(`${cg}${dirname(containerDir)}/pids.current`, '70\n');
  put(`/proc/${PID}/cgroup`, '0::/\n');
  put(
    `/proc/${PID}/status`,
    `Name:\tworker\nPid:\t${PID}\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nThreads:\t63\n`,
  );
  put(
    `/proc/${PID}/limits`,
    'Limit                     Soft Limit           Hard Limit           Units     \nMax processes             unlimited            unlimited            processes \n',
  );
  return root;
}

describe('the sampler in a private cgroup namespace on cgroup v2 ("0::/")', () => {
  const roots: string[] = [];
  afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  for (const [driver, l] of Object.entries(layouts)) {
    it(`reads the container's own chain through the runtime's cgroupsPath (${driver} driver)`, () => {
      const root = v2Node(l.dir);
      roots.push(root);
      const s = new Sampler(root).sample(ID, PID, l.cgroupsPath)!;
      expect(s.paths).toEqual({ pids: l.dir, memory: l.dir });
      const pids = s.chains.find((c) => c.controller === 'pids' && c.path === l.dir);
      expect(pids).toMatchObject({ level: 'container', max: 64, current: 64, events: 7 });
      const pod = s.chains.find((c) => c.controller === 'pids' && c.path === dirname(l.dir));
      expect(pod).toMatchObject({ max: 1024, current: 70 });
      const memory = s.chains.find((c) => c.controller === 'memory' && c.path === l.dir);
      expect(memory).toMatchObject({ max: 268435456, current: 201326592 });
      // Nothing of the host's root cgroup (5123 tasks) is taken as the container's.
      expect(s.chains.some((c) => c.current === 5123)).toBe(false);
    });
  }

  it('without a runtime record of the path, reads no chain rather than the host root', () => {
    const root = v2Node(layouts.cgroupfs.dir);
    roots.push(root);
    const s = new Sampler(root).sample(ID, PID)!;
    expect(s.paths).toEqual({});
    expect(s.chains).toEqual([]);
  });
});
