// The cgroup directory of a container from its OCI spec's linux.cgroupsPath, as runc resolves it, so
// the chain is read where the runtime put it rather than guessed. Two forms exist:
//   cgroupfs driver: "/kubepods/burstable/pod<uid>/<id>", already a path under each hierarchy;
//   systemd driver:  "<slice>:<prefix>:<name>", e.g. "kubepods-burstable-pod<uid_>.slice:cri-containerd:<id>",
//     which runc turns into the unit <prefix>-<name>.scope inside the slice, and a slice named
//     a-b-c.slice lives at /a.slice/a-b.slice/a-b-c.slice (systemd.slice(5); runc:
//     libcontainer/cgroups/systemd/common.go ExpandSlice).

/** The container's cgroup directory relative to a hierarchy's root ("/kubepods.slice/…/cri-containerd-<id>.scope"). */
export function cgroupDirOf(cgroupsPath: string): string | undefined {
  if (cgroupsPath.startsWith('/')) return cgroupsPath.replace(/\/+$/, '') || undefined;
  const parts = cgroupsPath.split(':');
  if (parts.length !== 3) return undefined;
  const [slice, prefix, name] = parts as [string, string, string];
  const parent = expandSlice(slice === '' ? 'system.slice' : slice);
  if (parent === undefined || name === '') return undefined;
  const unit = name.endsWith('.slice') ? name : `${prefix ? `${prefix}-` : ''}${name}.scope`;
  return `${parent}/${unit}`;
}

/** "kubepods-burstable-podX.slice" -> "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podX.slice". */
export function expandSlice(slice: string): string | undefined {
  if (!slice.endsWith('.slice') || slice.includes('/')) return undefined;
  const base = slice.slice(0, -'.slice'.length);
  if (base === '-') return '';
  if (base === '' || base.startsWith('-') || base.endsWith('-') || base.includes('--')) return undefined;
  let path = '';
  let prefix = '';
  for (const comp of base.split('-')) {
    prefix = prefix ? `${prefix}-${comp}` : comp;
    path += `/${prefix}.slice`;
  }
  return path;
}

/**
 * A process's cgroup as the host sees it. Inside a private cgroup namespace (Docker's default on
 * cgroup v2, `--cgroupns private`, and any pod whose runtime unshares it) /proc/<pid>/cgroup is
 * relative to the namespace's root, the container's own cgroup: it reads "0::/", which taken as it
 * is names the host's root cgroup. A container's process is never in the host's root cgroup, so "/"
 * is resolved to the runtime's cgroupsPath; any other path is the host's and kept.
 */
export function hostCgroupPath(
  procPath: string | undefined,
  cgroupsPath: string | undefined,
): string | undefined {
  const dir = cgroupsPath !== undefined ? cgroupDirOf(cgroupsPath) : undefined;
  if (procPath === undefined || procPath === '/') return dir;
  return procPath;
}
