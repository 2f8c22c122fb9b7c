// cgroupsPath as containerd writes it in the OCI spec, for both kubelet cgroup drivers, to the
// directory runc creates (the cgroupfs form is also checked against a live process in the containerd lab).
import { describe, expect, it } from 'vitest';
import { cgroupDirOf, expandSlice } from '../../../src/sources/runtime/cgroups-path.js';

const ID = '3694f533bb91a93f72af43199414896c5853e3843f5f40ba9bafba6fbf5498c3';

describe('cgroupDirOf', () => {
  it('cgroupfs driver: the path is already the directory', () => {
    expect(cgroupDirOf(`/kubepods/burstable/pod6a4ff380-9be4-4e7d-b919-b430cb639dc7/${ID}`)).toBe(
      `/kubepods/burstable/pod6a4ff380-9be4-4e7d-b919-b430cb639dc7/${ID}`,
    );
  });

  it('systemd driver: slice:prefix:name becomes the scope inside the expanded slice', () => {
    expect(
      cgroupDirOf(`kubepods-burstable-pod6a4ff380_9be4_4e7d_b919_b430cb639dc7.slice:cri-containerd:${ID}`),
    ).toBe(
      `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6a4ff380_9be4_4e7d_b919_b430cb639dc7.slice/cri-containerd-${ID}.scope`,
    );
    expect(cgroupDirOf(`kubepods-pod1.slice:crio:${ID}`)).toBe(
      `/kubepods.slice/kubepods-pod1.slice/crio-${ID}.scope`,
    );
  });

  it('refuses what runc would refuse', () => {
    expect(expandSlice('kubepods--x.slice')).toBeUndefined();
    expect(expandSlice('kubepods/x.slice')).toBeUndefined();
    expect(cgroupDirOf('kubepods.slice:cri-containerd')).toBeUndefined();
    expect(cgroupDirOf('not-a-slice:cri-containerd:x')).toBeUndefined();
  });
});
