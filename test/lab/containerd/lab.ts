// The containerd lab: a private containerd (Debian's 1.6 with runc) started as a child process in a
// temporary folder with its own config, root, state, sockets, opt path and runc root, so it runs
// beside any other containerd or dockerd. Its only image is built by hand as an OCI image layout
// (Debian's static busybox plus the lab's static Go program) and imported with `ctr images import`;
// no registry, no CNI (pods use the node's network). Pods are run through CRI as the kubelet runs
// them: cgroupfs parent /kubepods/burstable/pod<uid>, the pod's pids.max written by hand first (the
// kubelet's podPidsLimit), log_directory/log_path in the kubelet's <ns>_<pod>_<uid>/<container>/<n>.log
// layout. Teardown removes every sandbox, process, mount, cgroup and file it made, also on failure.
import { crashlab } from '../harness/index.js';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient } from '../../../src/sources/runtime/cri/client.js';
import { LabKubelet, type ContainerConfig, type SandboxConfig } from './kubelet.js';

export const PIDS_ROOT = '/sys/fs/cgroup/pids';
const IMAGE = 'docker.io/podmortem/containerd-lab:1';

/** What is missing for the lab on this machine, or undefined when it can run. */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'the containerd lab needs Linux';
  if (process.getuid?.() !== 0)
    return 'the containerd lab needs root (it starts containerd and writes cgroups)';
  if (!existsSync(PIDS_ROOT)) return `the containerd lab needs the cgroup v1 pids hierarchy at ${PIDS_ROOT}`;
  for (const bin of ['containerd', 'ctr', 'runc', 'containerd-shim-runc-v2', 'go'])
    if (!which(bin)) return `the containerd lab needs ${bin} (Debian: containerd, runc, golang-go)`;
  if (!busyboxPath()) return 'the containerd lab needs a static busybox (Debian: busybox-static)';
  return undefined;
}

function which(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function busyboxPath(): string | undefined {
  return ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((res, rej) =>
    execFile(
      cmd,
      args,
      { timeout: 300_000, maxBuffer: 64 << 20, encoding: 'utf8', ...opts },
      (err, stdout, stderr) =>
        err ? rej(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : res(stdout),
    ),
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface LabPod {
  namespace: string;
  pod: string;
  uid: string;
  sandboxId: string;
  sandbox: SandboxConfig;
  /** The kubelet's pod log folder: <logDir>/<ns>_<pod>_<uid>. */
  logDirectory: string;
  /** /kubepods/burstable/pod<uid> */
  cgroupParent: string;
}

export class ContainerdLab {
  readonly tmp: string;
  readonly logDir: string;
  readonly socket: string;
  /** Milliseconds from spawn to the first CRI Version answer. */
  startMs = 0;
  containerd?: ChildProcess;
  kubelet?: LabKubelet;
  cri?: CriClient;
  private readonly sandboxes: string[] = [];
  private readonly cgroups: string[] = [];

  /**
   * `nproc`: start containerd under this RLIMIT_NPROC (soft and hard), as a systemd unit's LimitNPROC
   * would: its shims and runc inherit it, and so does every container (CRI has no ulimits field).
   */
  constructor(private readonly opts: { nproc?: number } = {}) {
    // Short: unix socket paths are limited to 107 bytes, and shims derive theirs from it.
    this.tmp = mkdtempSync(join(tmpdir(), 'pm-ctd-'));
    this.logDir = join(this.tmp, 'pods');
    this.socket = join(this.tmp, 'containerd.sock');
    mkdirSync(this.logDir);
  }

  image = IMAGE;

  async start(): Promise<void> {
    const t = this.tmp;
    const config = `version = 2
root = "${t}/root"
state = "${t}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "${this.socket}"

[ttrpc]
  address = "${this.socket}.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "${t}/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${IMAGE}"
  # This machine lacks CAP_SYS_RESOURCE: the sandbox's oom_score_adj -998 would be refused.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "${t}/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "${t}/cni/bin"
    conf_dir = "${t}/cni/conf"
`;
    writeFileSync(join(t, 'config.toml'), config);
    await this.spawnContainerd();
    this.cri = new CriClient(this.socket);
    this.kubelet = new LabKubelet(this.socket);
    await this.importImage();
  }

  /** Starts containerd with the lab's config and waits for its CRI plugin to answer. */
  private async spawnContainerd(): Promise<void> {
    const started = performance.now();
    let answered = false;
    const argv = ['containerd', '--config', join(this.tmp, 'config.toml'), '--log-level', 'warn'];
    const [cmd, ...args] =
      this.opts.nproc !== undefined
        ? ['prlimit', `--nproc=${this.opts.nproc}:${this.opts.nproc}`, '--', ...argv]
        : argv;
    this.containerd = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    this.containerd.stderr?.on('data', (c: Buffer) => {
      if (log.length < 1 << 20) log += c.toString();
    });
    const cri = new CriClient(this.socket);
    for (let i = 0; i < 300; i++) {
      if (this.containerd.exitCode !== null) break;
      if (existsSync(this.socket)) {
        try {
          await cri.version(1000);
          this.startMs = performance.now() - started;
          answered = true;
          break;
        } catch {
          // CRI plugin not ready yet
        }
      }
      await sleep(50);
    }
    cri.close();
    if (!answered)
      throw new Error(
        `containerd did not answer CRI Version (exit ${this.containerd.exitCode}): ${log.slice(-2000)}`,
      );
  }

  /**
   * Stops the lab's containerd (SIGTERM, as `systemctl stop containerd` does): its shims and the
   * containers they run stay, as on a node whose runtime restarts.
   */
  async stopContainerd(): Promise<void> {
    const ctd = this.containerd;
    if (!ctd || ctd.exitCode !== null || ctd.signalCode !== null) return;
    const exited = new Promise<void>((r) => ctd.once('exit', () => r()));
    ctd.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (ctd.exitCode === null && ctd.signalCode === null) ctd.kill('SIGKILL');
    await exited;
  }

  /** Starts it again with the same config, root and state (it recovers the running containers). */
  async restartContainerd(): Promise<void> {
    await this.spawnContainerd();
  }

  /** busybox-static + crashlab as an OCI image layout tar, imported into the k8s.io namespace. */
  private async importImage(): Promise<void> {
    const rootfs = join(this.tmp, 'rootfs');
    for (const d of ['bin', 'tmp', 'etc', 'proc', 'sys', 'dev', 'trigger'])
      mkdirSync(join(rootfs, d), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    copyFileSync(busyboxPath()!, join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    for (const a of ['sh', 'sleep', 'cat', 'echo', 'ls', 'true', 'false'])
      symlinkSync('busybox', join(rootfs, 'bin', a));
    writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\n');
    writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\n');
    // The lab's one Go program (test/lab/crashlab), built once per run by the shared harness.
    copyFileSync(await crashlab(), join(rootfs, 'bin/crashlab'));
    chmodSync(join(rootfs, 'bin/crashlab'), 0o755);

    const layout = join(this.tmp, 'oci');
    const blobs = join(layout, 'blobs/sha256');
    mkdirSync(blobs, { recursive: true });
    const blob = (bytes: Buffer) => {
      const digest = createHash('sha256').update(bytes).digest('hex');
      writeFileSync(join(blobs, digest), bytes);
      return { digest: `sha256:${digest}`, size: bytes.length };
    };
    const layerTar = execFileSync(
      'tar',
      ['-C', rootfs, '--numeric-owner', '--owner=0', '--group=0', '--sort=name', '-c', '.'],
      { maxBuffer: 256 << 20 },
    );
    const layer = blob(layerTar);
    const arch = process.arch === 'x64' ? 'amd64' : process.arch;
    const config = blob(
      Buffer.from(
        JSON.stringify({
          architecture: arch,
          os: 'linux',
          config: { Env: ['PATH=/bin'], Cmd: ['/bin/sleep', '2147483647'] },
          rootfs: { type: 'layers', diff_ids: [layer.digest] },
        }),
      ),
    );
    const manifest = blob(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
        }),
      ),
    );
    writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileSync(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            ...manifest,
            platform: { architecture: arch, os: 'linux' },
            annotations: { 'io.containerd.image.name': IMAGE, 'org.opencontainers.image.ref.name': '1' },
          },
        ],
      }),
    );
    const tarFile = join(this.tmp, 'image.tar');
    execFileSync('tar', ['-C', layout, '-cf', tarFile, 'oci-layout', 'index.json', 'blobs']);
    await run('ctr', ['-a', this.socket, '-n', 'k8s.io', 'images', 'import', tarFile]);
  }

  /** The pod's cgroups as the kubelet (cgroupfs driver, burstable) makes them; pids.max written by hand. */
  private podCgroup(uid: string, pidsMax?: number): string {
    const rel = `/kubepods/burstable/pod${uid}`;
    // runc creates the pod level in every hierarchy (mkdir -p) and leaves it when the pod goes:
    // every level that did not exist is recorded here and removed at teardown, deepest first.
    for (const h of readdirSync('/sys/fs/cgroup')) {
      const base = `/sys/fs/cgroup/${h}`;
      if (!existsSync(`${base}/cgroup.procs`)) continue; // a symlink alias (cpu,cpuacct) or not a hierarchy
      for (const part of ['/kubepods', '/kubepods/burstable', rel]) {
        if (existsSync(base + part)) continue;
        // recursive: another lab (the Docker one) may create the same level at the same moment
        if (base === PIDS_ROOT) mkdirSync(base + part, { recursive: true });
        this.cgroups.push(base + part);
      }
    }
    if (pidsMax !== undefined) writeFileSync(`${PIDS_ROOT}${rel}/pids.max`, String(pidsMax));
    return rel;
  }

  /** RunPodSandbox as the kubelet does (host network, empty hostname, log_directory). */
  async runPod(spec: { pod: string; namespace?: string; podPidsMax?: number }): Promise<LabPod> {
    const namespace = spec.namespace ?? 'lab';
    const uid = randomUUID();
    const cgroupParent = this.podCgroup(uid, spec.podPidsMax);
    const logDirectory = join(this.logDir, `${namespace}_${spec.pod}_${uid}`);
    const sandbox: SandboxConfig = {
      metadata: { name: spec.pod, uid, namespace, attempt: 0 },
      log_directory: logDirectory,
      labels: {
        'io.kubernetes.pod.name': spec.pod,
        'io.kubernetes.pod.namespace': namespace,
        'io.kubernetes.pod.uid': uid,
      },
      linux: {
        cgroup_parent: cgroupParent,
        security_context: { namespace_options: { network: 'NODE', pid: 'CONTAINER' } },
      },
    };
    const sandboxId = await this.kubelet!.runPodSandbox(sandbox);
    this.sandboxes.push(sandboxId);
    return { namespace, pod: spec.pod, uid, sandboxId, sandbox, logDirectory, cgroupParent };
  }

  /** CreateContainer + StartContainer with the kubelet's labels, restartCount annotation and <name>/<attempt>.log. */
  async runContainer(
    pod: LabPod,
    spec: {
      container: string;
      attempt?: number;
      command: string[];
      memory?: number;
      trigger?: string;
      /** run_as_user, as a pod's securityContext.runAsUser. */
      user?: number;
    },
  ): Promise<string> {
    const attempt = spec.attempt ?? 0;
    const config: ContainerConfig = {
      metadata: { name: spec.container, attempt },
      image: { image: IMAGE },
      command: spec.command,
      labels: {
        'io.kubernetes.pod.name': pod.pod,
        'io.kubernetes.pod.namespace': pod.namespace,
        'io.kubernetes.pod.uid': pod.uid,
        'io.kubernetes.container.name': spec.container,
      },
      annotations: {
        'io.kubernetes.container.restartCount': String(attempt),
        'io.kubernetes.container.terminationMessagePath': '/dev/termination-log',
      },
      log_path: `${spec.container}/${attempt}.log`,
      ...(spec.trigger
        ? { mounts: [{ container_path: '/trigger', host_path: spec.trigger, readonly: true }] }
        : {}),
      ...(spec.memory !== undefined || spec.user !== undefined
        ? {
            linux: {
              ...(spec.memory !== undefined ? { resources: { memory_limit_in_bytes: spec.memory } } : {}),
              ...(spec.user !== undefined ? { security_context: { run_as_user: { value: spec.user } } } : {}),
            },
          }
        : {}),
    };
    const id = await this.kubelet!.createContainer(pod.sandboxId, config, pod.sandbox);
    await this.kubelet!.startContainer(id);
    return id;
  }

  /** Polls ContainerStatus until the container has exited. */
  async exited(id: string, timeoutMs = 90_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    let state = '';
    while (Date.now() < end) {
      state = (await this.cri!.containerStatus(id)).status.state;
      if (state === 'CONTAINER_EXITED') return;
      await sleep(100);
    }
    throw new Error(`container ${id.slice(0, 12)} still ${state} after ${timeoutMs / 1000} s`);
  }

  /**
   * Waits until containerd records the exit's reason as OOMKilled: the OOM event can reach its status
   * after the exit (as the kubelet, a reader may see Error first). Gives up after `timeoutMs`.
   */
  async oomRecorded(id: string, timeoutMs = 15_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const st = (await this.cri!.containerStatus(id)).status;
      if (st.state === 'CONTAINER_EXITED' && st.reason === 'OOMKilled') return;
      await sleep(100);
    }
  }

  /** Waits until a container's log holds `text`. */
  async logged(path: string, text: string, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (existsSync(path) && readFileSync(path, 'utf8').includes(text)) return;
      await sleep(100);
    }
    throw new Error(`${path}: "${text}" not logged within ${timeoutMs / 1000} s`);
  }

  async teardown(): Promise<void> {
    for (const id of this.sandboxes.splice(0).reverse())
      await this.kubelet?.removePodSandbox(id).catch(() => undefined);
    this.kubelet?.close();
    this.cri?.close();
    const ctd = this.containerd;
    if (ctd && ctd.exitCode === null && ctd.signalCode === null) {
      ctd.kill('SIGTERM');
      for (let i = 0; i < 100 && ctd.exitCode === null && ctd.signalCode === null; i++) await sleep(50);
      if (ctd.exitCode === null && ctd.signalCode === null) ctd.kill('SIGKILL');
    }
    // Shims outlive containerd: any left (a failed removal) is ours when its -address is our socket.
    for (const pid of shimsOf(this.socket)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(200);
    try {
      execFileSync(
        'sh',
        ['-c', `grep -o ' ${this.tmp}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l`],
        {
          stdio: 'ignore',
        },
      );
    } catch {
      // nothing mounted
    }
    for (const dir of this.cgroups.splice(0).reverse()) {
      // The pod level's children (a container's cgroup runc failed to remove) go first.
      for (const child of listDirs(dir)) tryRmdir(join(dir, child));
      tryRmdir(dir);
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

function tryRmdir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // still holds a task or a cgroup of somebody else: left as it is
  }
}

/** PIDs of containerd-shim processes started for the given containerd socket. */
function shimsOf(socket: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (!readlinkSync(`/proc/${p}/exe`).includes('containerd-shim')) continue;
      const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      const i = argv.indexOf('-address');
      if (i >= 0 && argv[i + 1] === socket) out.push(Number(p));
    } catch {
      // gone or not ours to read
    }
  }
  return out;
}

/** The pids.max of a cgroup v1 pids level, for assertions. */
export function pidsMax(rel: string): string {
  return readFileSync(`${PIDS_ROOT}${rel}/pids.max`, 'utf8').trim();
}
