// The lab: a real Docker engine in the dockershim layout, on this machine, so every claim of
// `podmortem node` is checked against a limit that was really reached. It installs what it needs
// (Debian's docker.io, busybox-static, golang-go), starts its own dockerd in a temporary folder
// (cgroupfs driver, overlay2, json-file logs, no iptables, no bridge) next to any system one,
// builds its images offline with `docker import` from a local rootfs (busybox-static, the crashlab Go
// program built with CGO_ENABLED=0, the host's JDK and bash bind-mounted read-only), creates
// containers the way the kubelet did (name k8s_<container>_<pod>_<ns>_<uid>_<attempt>, io.kubernetes.*
// labels, --cgroup-parent /kubepods/<qos>/pod<uid>, the pod's pids.max written like the kubelet
// does, /var/log/pods-style symlinks in a temporary log folder), and removes every container, image,
// process, cgroup and file it made.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
  copyFileSync,
  statSync,
  realpathSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../..');
const CRASHLAB_SRC = resolve(import.meta.dirname, 'crashlab');
const PIDS_ROOT = '/sys/fs/cgroup/pids';
const MEMORY_ROOT = '/sys/fs/cgroup/memory';
/** Host runtimes bind-mounted read-only into the image (JDK, bash and the libraries they link; the JDK's conf links point into /etc/java-*). */
function hostMounts(): string[] {
  const etc = existsSync('/etc')
    ? readdirSync('/etc')
        .filter((d) => /^java-\d+-openjdk$/.test(d))
        .map((d) => `/etc/${d}`)
    : [];
  return ['/usr/lib', '/usr/lib64', '/usr/bin/bash', ...etc].filter((m) => existsSync(m));
}
/** The host's java binary, resolved (Debian: /usr/lib/jvm/java-<N>-openjdk-<arch>/bin/java, under /usr/lib). */
export function javaPath(): string {
  try {
    return realpathSync(execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim());
  } catch {
    return '/usr/lib/jvm/java-17-openjdk-amd64/bin/java';
  }
}

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'the lab needs Linux (real cgroups and a real container engine)';
  if (process.getuid?.() !== 0) return 'the lab needs root (it starts dockerd and writes cgroups)';
  if (!existsSync(PIDS_ROOT)) return `the lab needs the cgroup v1 pids hierarchy at ${PIDS_ROOT}`;
  return undefined;
}

function sh(cmd: string, args: string[], opts: { timeout?: number; input?: string } = {}): Promise<string> {
  return new Promise((res, rej) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeout ?? 120_000, maxBuffer: 64 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) rej(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`));
        else res(stdout);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

function which(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs the lab's packages when missing (apt-get update first, as Debian wants). */
export function ensurePackages(): void {
  const missing: string[] = [];
  if (!which('dockerd') || !existsSync('/usr/bin/docker')) missing.push('docker.io');
  if (!existsSync('/usr/bin/busybox') && !existsSync('/bin/busybox')) missing.push('busybox-static');
  if (!which('go')) missing.push('golang-go');
  if (!which('javac')) missing.push('openjdk-17-jdk-headless');
  if (missing.length === 0) return;
  execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 300_000 });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], {
    stdio: 'ignore',
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function ping(socket: string): Promise<boolean> {
  return new Promise((res) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 2000 }, (r) => {
      r.resume();
      res(r.statusCode === 200);
    });
    req.on('error', () => res(false));
    req.on('timeout', () => {
      req.destroy();
      res(false);
    });
    req.end();
  });
}

export interface PodSpec {
  namespace?: string;
  pod: string;
  container: string;
  /** Pod-level pids.max as the kubelet writes it for podPidsLimit. */
  podPidsMax?: number;
  /** docker run options (--user, --ulimit, -m, --pids-limit ...). */
  options?: string[];
  /** The container command. */
  cmd: string[];
  /** With `then`, the first run executes cmd and crashes, later runs execute `then` (the live restarted twin). */
  then?: string[];
  /** Docker restart policy; default on-failure:3. */
  restart?: string;
  /** Mount the host JDK/bash read-only. */
  hostRuntimes?: boolean;
}

export interface Pod extends Required<Pick<PodSpec, 'pod' | 'container'>> {
  namespace: string;
  uid: string;
  name: string;
  id: string;
  logPath: string;
  /** The pod's cgroup path as /proc/<pid>/cgroup prints it. */
  cgroup: string;
}

export interface Inspect {
  Id: string;
  RestartCount: number;
  LogPath: string;
  State: {
    Running: boolean;
    Restarting: boolean;
    OOMKilled: boolean;
    ExitCode: number;
    Pid: number;
    Status: string;
  };
}

export class Lab {
  readonly tmp: string;
  readonly logDir: string;
  socket = '';
  readonly image = `podmortem-lab:${process.pid}`;
  private dockerd?: ChildProcess;
  private readonly containers: string[] = [];
  private readonly cgroups: string[] = [];
  private readonly restores: (() => void)[] = [];
  private readonly dockerCgroups: string[] = [];

  constructor() {
    this.tmp = mkdtempSync(join(tmpdir(), 'podmortem-lab-'));
    this.logDir = join(this.tmp, 'pods');
    mkdirSync(this.logDir);
  }

  docker(args: string[], opts: { timeout?: number; input?: string } = {}): Promise<string> {
    return sh('/usr/bin/docker', ['-H', `unix://${this.socket}`, ...args], opts);
  }

  /**
   * Always its own dockerd, even when the machine runs one: a system daemon may use the systemd cgroup
   * driver (which refuses a cgroupfs --cgroup-parent) and must not collect the lab's images.
   */
  async start(): Promise<void> {
    ensurePackages();
    await this.startDockerd();
    await this.buildImage();
  }

  private async startDockerd(): Promise<void> {
    // dockerd creates /docker in every v1 hierarchy; remember which were there to remove only ours.
    for (const c of readdirSync('/sys/fs/cgroup')) {
      const dir = `/sys/fs/cgroup/${c}/docker`;
      if (!existsSync(dir)) this.dockerCgroups.push(dir);
    }
    const d = this.tmp;
    this.socket = join(d, 'docker.sock');
    const log = join(d, 'dockerd.log');
    writeFileSync(log, '');
    this.dockerd = spawn(
      'dockerd',
      [
        '--iptables=false',
        '--ip6tables=false',
        '--bridge=none',
        '--data-root',
        join(d, 'data'),
        '--exec-root',
        join(d, 'exec'),
        '--pidfile',
        join(d, 'dockerd.pid'),
        '-H',
        `unix://${this.socket}`,
        '--exec-opt',
        'native.cgroupdriver=cgroupfs',
        '--storage-driver',
        'overlay2',
        '--log-driver',
        'json-file',
      ],
      { stdio: ['ignore', 'ignore', 'ignore'], detached: false },
    );
    for (let i = 0; i < 150; i++) {
      if (await ping(this.socket)) return;
      if (this.dockerd.exitCode !== null) break;
      await sleep(200);
    }
    throw new Error(`dockerd did not start (see ${log}, exit ${this.dockerd.exitCode})`);
  }

  /** busybox-static + crashlab (static Go) + the Java class, imported as one image; no registry. */
  private async buildImage(): Promise<void> {
    const rootfs = join(this.tmp, 'rootfs');
    for (const d of [
      'bin',
      'tmp',
      'etc',
      'proc',
      'sys',
      'dev',
      'app',
      'usr/lib',
      'usr/lib64',
      'usr/bin',
      ...hostMounts()
        .filter((m) => m.startsWith('/etc/'))
        .map((m) => m.slice(1)),
    ])
      mkdirSync(join(rootfs, d), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    symlinkSync('usr/lib', join(rootfs, 'lib'));
    symlinkSync('usr/lib64', join(rootfs, 'lib64'));
    writeFileSync(join(rootfs, 'usr/bin/bash'), ''); // mount point for the host's bash
    const busybox = existsSync('/usr/bin/busybox') ? '/usr/bin/busybox' : '/bin/busybox';
    copyFileSync(busybox, join(rootfs, 'bin/busybox'));
    chmodSync(join(rootfs, 'bin/busybox'), 0o755);
    for (const a of ['sh', 'sleep', 'cat', 'touch', 'echo', 'ls'])
      symlinkSync('busybox', join(rootfs, 'bin', a));
    writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/:/bin/sh\n');
    const gocache = join(this.tmp, 'gocache');
    await new Promise<void>((res, rej) => {
      execFile(
        'go',
        ['build', '-o', join(rootfs, 'bin/crashlab'), '.'],
        {
          cwd: CRASHLAB_SRC,
          env: {
            ...process.env,
            CGO_ENABLED: '0',
            GOCACHE: gocache,
            GOFLAGS: '-mod=mod',
            GOPROXY: 'off',
            HOME: this.tmp,
          },
          timeout: 300_000,
        },
        (err, _o, stderr) => (err ? rej(new Error(`go build crashlab: ${stderr || err.message}`)) : res()),
      );
    });
    if (which('javac'))
      execFileSync('javac', ['-d', join(rootfs, 'app'), join(CRASHLAB_SRC, 'Threads.java')], {
        stdio: 'ignore',
        timeout: 120_000,
      });
    const tar = execFileSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 256 << 20 });
    await new Promise<void>((res, rej) => {
      const child = spawn('/usr/bin/docker', ['-H', `unix://${this.socket}`, 'import', '-', this.image], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('close', (code) => (code === 0 ? res() : rej(new Error(`docker import: ${err}`))));
      child.stdin.end(tar);
    });
  }

  /** Creates the pod cgroups as the kubelet would (v1, cgroupfs driver, burstable QoS). */
  private podCgroup(uid: string, pidsMax?: number): string {
    const rel = `/kubepods/burstable/pod${uid}`;
    // The lab creates the pids and memory levels (the limits it writes); Docker creates the same path
    // in every other hierarchy (cpu, blkio, devices, freezer, name=systemd, ...) and leaves it behind
    // when the container is removed: both are recorded here and removed, deepest first, at teardown.
    for (const hierarchy of readdirSync('/sys/fs/cgroup')) {
      const base = `/sys/fs/cgroup/${hierarchy}`;
      if (!existsSync(`${base}/cgroup.procs`)) continue; // a symlink alias (cpu,cpuacct) or not a hierarchy
      const ours = base === PIDS_ROOT || base === MEMORY_ROOT;
      for (const part of ['/kubepods', '/kubepods/burstable', rel]) {
        const dir = base + part;
        if (existsSync(dir)) continue;
        if (ours) mkdirSync(dir);
        this.cgroups.push(dir);
      }
    }
    if (pidsMax !== undefined) writeFileSync(`${PIDS_ROOT}${rel}/pids.max`, String(pidsMax));
    return rel;
  }

  async run(spec: PodSpec): Promise<Pod> {
    const namespace = spec.namespace ?? 'lab';
    const uid = randomUUID();
    const cgroup = this.podCgroup(uid, spec.podPidsMax);
    const name = `k8s_${spec.container}_${spec.pod}_${namespace}_${uid}_0`;
    const labels = {
      'io.kubernetes.pod.name': spec.pod,
      'io.kubernetes.pod.namespace': namespace,
      'io.kubernetes.pod.uid': uid,
      'io.kubernetes.container.name': spec.container,
      'io.kubernetes.docker.type': 'container',
      'annotation.io.kubernetes.container.restartCount': '0',
    };
    const cmd = spec.then
      ? [
          '/bin/sh',
          '-c',
          `if [ -e /tmp/.crashed ]; then exec ${quote(spec.then)}; fi; touch /tmp/.crashed; exec ${quote(spec.cmd)}`,
        ]
      : spec.cmd;
    const mounts = spec.hostRuntimes ? hostMounts().flatMap((m) => ['-v', `${m}:${m}:ro`]) : [];
    const args = [
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      '--cgroup-parent',
      cgroup,
      '--restart',
      spec.restart ?? 'on-failure:3',
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      ...mounts,
      ...(spec.options ?? []),
      this.image,
      ...cmd,
    ];
    this.containers.push(name);
    const id = (await this.docker(args)).trim();
    const info = await this.inspect(name);
    // The kubelet's layout: <ns>_<pod>_<uid>/<container>/<restart>.log -> the Docker json-file log.
    const dir = join(this.logDir, `${namespace}_${spec.pod}_${uid}`, spec.container);
    mkdirSync(dir, { recursive: true });
    symlinkSync(info.LogPath, join(dir, '0.log'));
    return {
      namespace,
      pod: spec.pod,
      container: spec.container,
      uid,
      name,
      id,
      logPath: info.LogPath,
      cgroup,
    };
  }

  async inspect(name: string): Promise<Inspect> {
    return JSON.parse(await this.docker(['inspect', '--type', 'container', name]))[0] as Inspect;
  }

  /** Polls docker inspect until `done` holds (or throws after timeoutMs with the last state). */
  async waitFor(name: string, done: (i: Inspect) => boolean, timeoutMs = 90_000): Promise<Inspect> {
    const end = Date.now() + timeoutMs;
    let last: Inspect | undefined;
    while (Date.now() < end) {
      last = await this.inspect(name);
      if (done(last)) return last;
      await sleep(250);
    }
    throw new Error(
      `${name}: still ${JSON.stringify(last?.State)} (restarts ${last?.RestartCount}) after ${timeoutMs / 1000} s`,
    );
  }

  /** The restarted twin is up: the previous run crashed and the container runs again. */
  restarted(name: string, timeoutMs?: number): Promise<Inspect> {
    return this.waitFor(
      name,
      (i) => i.RestartCount >= 1 && i.State.Running && !i.State.Restarting,
      timeoutMs,
    );
  }

  /** The container gave up: exited for good (restart policy exhausted or none). */
  exited(name: string, timeoutMs?: number): Promise<Inspect> {
    return this.waitFor(
      name,
      (i) => !i.State.Running && !i.State.Restarting && i.State.Status === 'exited',
      timeoutMs,
    );
  }

  /** Waits until the container's log holds `text`. */
  async logged(pod: Pod, text: string, timeoutMs = 90_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      try {
        if (readFileSync(pod.logPath, 'utf8').includes(text)) return;
      } catch {
        // not written yet
      }
      await sleep(250);
    }
    throw new Error(`${pod.name}: "${text}" not logged within ${timeoutMs / 1000} s`);
  }

  /** Sets a sysctl for the lab's duration; teardown (and process exit) restores it. */
  sysctl(path: string, value: string): void {
    const old = readFileSync(path, 'utf8').trim();
    const restore = () => {
      try {
        writeFileSync(path, old);
      } catch {
        // nothing more can be done at exit
      }
    };
    this.restores.push(restore);
    process.once('exit', restore);
    writeFileSync(path, value);
  }

  restoreSysctls(): void {
    for (const r of this.restores.splice(0).reverse()) r();
  }

  async teardown(): Promise<void> {
    this.restoreSysctls();
    for (const c of this.containers.splice(0)) await this.docker(['rm', '-f', c]).catch(() => undefined);
    await this.docker(['rmi', '-f', this.image]).catch(() => undefined);
    if (this.dockerd && this.dockerd.exitCode === null) {
      this.dockerd.kill('SIGTERM');
      for (let i = 0; i < 100 && this.dockerd.exitCode === null && this.dockerd.signalCode === null; i++)
        await sleep(100);
      if (this.dockerd.exitCode === null && this.dockerd.signalCode === null) this.dockerd.kill('SIGKILL');
      // dockerd stops its own containerd; wait for the shim-less tree to vanish before removing files.
      await sleep(500);
    }
    for (const dir of [...this.cgroups.splice(0).reverse(), ...this.dockerCgroups.splice(0)]) {
      try {
        rmdirSync(dir);
      } catch {
        // still holds a task or a child cgroup of somebody else: leave it
      }
    }
    try {
      execFileSync(
        'sh',
        ['-c', `grep -o ' ${this.tmp}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l`],
        { stdio: 'ignore' },
      );
    } catch {
      // nothing mounted
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** POSIX shell quoting of an argv. */
function quote(argv: string[]): string {
  return argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The CLI users run: dist/, built once for the whole run by test/global-setup.ts. */
export function buildCli(): string {
  const cli = join(REPO, 'dist/cli/main.js');
  statSync(cli);
  return cli;
}
