// The Docker lab: its own dockerd in the dockershim layout, on this machine. It starts a private
// dockerd in a temporary folder (cgroupfs driver, overlay2, json-file logs, no iptables, no bridge)
// next to any system one, builds one image offline with `docker import` (busybox-static, the lab's
// Go program, Threads.class; the host's JDK and bash bind-mounted read-only), creates containers as
// the kubelet did (name k8s_<container>_<pod>_<ns>_<uid>_<attempt>, io.kubernetes.* labels,
// --cgroup-parent /kubepods/<qos>/pod<uid>, the pod's pids.max written like podPidsLimit,
// /var/log/pods-style symlinks in a temporary log folder), and removes every container, image,
// process, cgroup and file it made.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cgroups, CGROUP_V1 } from './cgroups.js';
import { crashlab, THREADS_JAVA } from './crashlab.js';
import { sleep } from './wait.js';

/** What the Docker lab needs on the machine (see ../../prerequisites.ts). */
export const DOCKER_LAB_NEEDS = [
  'linux',
  'root',
  'cgroup-v1-pids',
  'cgroup-v1-memory',
  'go',
  'dockerd',
  'busybox',
  'java',
  'bash',
] as const;

/** Host runtimes bind-mounted read-only into the image (JDK, bash and the libraries they link; the JDK's conf links point into /etc/java-*). */
function hostMounts(): string[] {
  const etc = readdirSync('/etc')
    .filter((d) => /^java-\d+-openjdk$/.test(d))
    .map((d) => `/etc/${d}`);
  return ['/usr/lib', '/usr/lib64', '/usr/bin/bash', ...etc].filter((m) => existsSync(m));
}

/** The host's java binary, resolved (Debian: /usr/lib/jvm/java-<N>-openjdk-<arch>/bin/java, under /usr/lib). */
export function javaPath(): string {
  return realpathSync(execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim());
}

function sh(cmd: string, args: string[], opts: { timeout?: number } = {}): Promise<string> {
  return new Promise((res, rej) => {
    execFile(
      cmd,
      args,
      { timeout: opts.timeout ?? 120_000, maxBuffer: 64 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) rej(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`));
        else res(stdout);
      },
    );
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

export class DockerLab {
  readonly tmp: string;
  readonly logDir: string;
  socket = '';
  readonly image = `podmortem-lab:${process.pid}-${randomUUID().slice(0, 8)}`;
  private dockerd?: ChildProcess;
  private readonly containers: string[] = [];
  private readonly cgroups = new Cgroups();
  private readonly restores: (() => void)[] = [];

  constructor() {
    this.tmp = mkdtempSync(join(tmpdir(), 'podmortem-docker-lab-'));
    this.logDir = join(this.tmp, 'pods');
    mkdirSync(this.logDir);
  }

  docker(args: string[], opts: { timeout?: number } = {}): Promise<string> {
    return sh('/usr/bin/docker', ['-H', `unix://${this.socket}`, ...args], opts);
  }

  /**
   * Always its own dockerd, even when the machine runs one: a system daemon may use the systemd cgroup
   * driver (which refuses a cgroupfs --cgroup-parent) and must not collect the lab's images.
   */
  async start(): Promise<void> {
    await this.startDockerd();
    await this.buildImage();
  }

  private async startDockerd(): Promise<void> {
    // dockerd creates /docker in every v1 hierarchy: remove it at the end unless it was already there.
    for (const c of readdirSync(CGROUP_V1)) this.cgroups.adopt(`${CGROUP_V1}/${c}/docker`);
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

  /** busybox-static + the lab program (static Go) + the Java class, imported as one image; no registry. */
  private async buildImage(): Promise<void> {
    const rootfs = join(this.tmp, 'rootfs');
    const etcMounts = hostMounts()
      .filter((m) => m.startsWith('/etc/'))
      .map((m) => m.slice(1));
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
      ...etcMounts,
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
    copyFileSync(await crashlab(), join(rootfs, 'bin/crashlab'));
    chmodSync(join(rootfs, 'bin/crashlab'), 0o755);
    execFileSync('javac', ['-d', join(rootfs, 'app'), THREADS_JAVA], { stdio: 'ignore', timeout: 120_000 });
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
    // The lab makes the pids and memory levels (the limits it writes); Docker makes the same path in
    // every other hierarchy (cpu, blkio, devices, freezer, name=systemd, ...) and leaves it behind
    // when the container is removed: those are adopted, so teardown removes them too.
    this.cgroups.make('pids', rel, pidsMax !== undefined ? { 'pids.max': pidsMax } : {});
    this.cgroups.make('memory', rel);
    for (const hierarchy of readdirSync(CGROUP_V1)) {
      const base = `${CGROUP_V1}/${hierarchy}`;
      if (hierarchy === 'pids' || hierarchy === 'memory' || !existsSync(`${base}/cgroup.procs`)) continue; // ours, or a symlink alias (cpu,cpuacct)
      for (const part of ['/kubepods', '/kubepods/burstable', rel]) this.cgroups.adopt(base + part);
    }
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

  /** Polls docker inspect until `done` holds; gives up after `tries` polls 250 ms apart, with the last state. */
  async waitFor(name: string, done: (i: Inspect) => boolean, tries = 360): Promise<Inspect> {
    let last: Inspect | undefined;
    for (let i = 0; i < tries; i++) {
      last = await this.inspect(name);
      if (done(last)) return last;
      await sleep(250);
    }
    throw new Error(
      `${name}: still ${JSON.stringify(last?.State)} (restarts ${last?.RestartCount}) after ${tries} polls`,
    );
  }

  /** The restarted twin is up: the previous run crashed and the container runs again. */
  restarted(name: string, tries?: number): Promise<Inspect> {
    return this.waitFor(name, (i) => i.RestartCount >= 1 && i.State.Running && !i.State.Restarting, tries);
  }

  /**
   * A container run to be OOM-killed, once dockerd has recorded it as OOMKilled. dockerd learns of the
   * kill from a cgroup event that can arrive after the exit event, and then never records it (a race
   * in dockerd, seen here under load: exit 137 with OOMKilled false). A test that needs the record
   * starts the container again, up to `attempts` runs, as a crash-looping pod would run again.
   */
  async oomKilled(name: string, attempts = 3): Promise<Inspect> {
    for (let run = 1; ; run++) {
      await this.exited(name);
      try {
        return await this.waitFor(name, (i) => i.State.OOMKilled, 20);
      } catch (err) {
        if (run >= attempts) throw err;
        await this.docker(['start', name]);
      }
    }
  }

  /** The container gave up: exited for good (restart policy exhausted or none). */
  exited(name: string, tries?: number): Promise<Inspect> {
    return this.waitFor(
      name,
      (i) => !i.State.Running && !i.State.Restarting && i.State.Status === 'exited',
      tries,
    );
  }

  /** Waits until the container's log holds `text`. */
  async logged(pod: Pod, text: string, tries = 360): Promise<void> {
    for (let i = 0; i < tries; i++) {
      try {
        if (readFileSync(pod.logPath, 'utf8').includes(text)) return;
      } catch {
        // not written yet
      }
      await sleep(250);
    }
    throw new Error(`${pod.name}: "${text}" not logged after ${tries} polls`);
  }

  /** Sets a sysctl for the lab's duration; restoreSysctls() (teardown, process exit) puts it back. */
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
    await this.cgroups.remove();
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
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/** POSIX shell quoting of an argv. */
function quote(argv: string[]): string {
  return argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}
