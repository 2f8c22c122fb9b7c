// Records and limits of the container's process: docker/crictl inspect, ulimit, /proc/<pid>/limits
// and /proc/<pid>/status. Real pasted outputs, each with its thread.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { paste, read } from './helpers.js';

describe('docker and crictl inspect', () => {
  it('an exited container: ExitCode 137 is the exit, "OOMKilled": false never becomes OOMKilled (AbdBarho/stable-diffusion-webui-docker#457)', () => {
    const f = read(
      paste(`
      docker inspect c35e838c9646ec13d3120dc96b930068b8afd4f20b9481bbdbddf01cffb4c1ca
      [
          {
              "Id": "c35e838c9646ec13d3120dc96b930068b8afd4f20b9481bbdbddf01cffb4c1ca",
              "Created": "2023-05-08T07:32:59.13549732Z",
              "Path": "/docker/entrypoint.sh",
              "Args": [
                  "/bin/sh",
                  "-c",
                  "python -u webui.py --listen --port 7860 \${CLI_ARGS}"
              ],
              "State": {
                  "Status": "exited",
                  "Running": false,
                  "Paused": false,
                  "Restarting": false,
                  "OOMKilled": false,
                  "Dead": false,
                  "Pid": 0,
                  "ExitCode": 137,
                  "Error": "",
                  "StartedAt": "2023-05-08T08:03:05.553904873Z",
                  "FinishedAt": "2023-05-08T08:05:05.514785974Z"
              },
      `),
    );
    expect(f.subject.value).toEqual({ exitCode: 137 });
    expect(f.subject.evidence).toEqual([{ source: 'post.md', line: 20, text: '"ExitCode": 137,' }]);
  });

  it('a running container is not the crashed one (moby/moby#35910); a grepped PidsLimit is the container level (podman-container-tools/podman#17647)', () => {
    const running = read(
      paste(`
      "State": {
          "Status": "running",
          "Running": true,
          "OOMKilled": false,
          "Pid": 22832,
          "ExitCode": 0,
          "Error": ""
      }
      `),
    );
    expect(running.subject.value).toEqual({});
    const f = read('podman inspect <container ID> | grep PidsLimit\n               "PidsLimit": 2048,\n');
    expect(f.node.cgroupChains).toEqual([
      expect.objectContaining({
        level: 'container',
        controller: 'pids',
        max: 2048,
        evidence: [expect.objectContaining({ line: 2 })],
      }),
    ]);
  });

  it('a healthcheck ExitCode is not the container exit (datalens-tech/datalens#324)', () => {
    const f = read(
      paste(`
      docker inspect --format='{{json .State.Health}}' 2812ca3f25d9
      {
      "Status":"unhealthy",
      "FailingStreak":50090,
      "Log":
                [
                     {
                         "Start":"2025-06-09T09:55:07.681309285+03:00",
                         "ExitCode":255,
                         "Output":"exec /etc/temporal/healthcheck.sh: resource temporarily unavailable\\n"
                      }
                ]
      }
      `),
    );
    expect(f.subject.value).toEqual({});
  });

  it('crictl inspect: exit code, reason and the pod from its labels (containerd/cri#475)', () => {
    const f = read(
      paste(`
      $ crictl inspect 98ad5842a6284
      {
        "status": {
          "id": "98ad5842a62844f62d4468c52dbfcc081a08ba25c95c842a967de7058f60dd24",
          "metadata": {
            "attempt": 0,
            "name": "nginx"
          },
          "state": "CONTAINER_EXITED",
          "exitCode": 255,
          "reason": "Unknown",
          "message": "",
          "labels": {
            "io.kubernetes.container.name": "nginx",
            "io.kubernetes.pod.name": "nginx",
            "io.kubernetes.pod.namespace": "e2e-tests-kubectl-2jdtb",
            "io.kubernetes.pod.uid": "6ffc887b-d619-11e7-8e8b-42010af00002"
          },
      `),
    );
    expect(f.subject.value).toEqual({
      exitCode: 255,
      reason: 'Unknown',
      container: 'nginx',
      pod: 'nginx',
      namespace: 'e2e-tests-kubectl-2jdtb',
    });
  });

  it('Ulimits, Memory and Privileged of HostConfig; a one-line {{json .HostConfig}}', () => {
    // HostConfig keys as moby prints them (api/types/container HostConfig).
    const f = read(
      `$ docker inspect -f '{{json .HostConfig}}' web\n{"Memory":268435456,"PidsLimit":null,"Privileged":true,"Ulimits":[{"Name":"nproc","Hard":4096,"Soft":2048},{"Name":"nofile","Hard":1024,"Soft":1024}]}\n`,
    );
    expect(f.process.memoryLimit?.value).toBe(268435456);
    expect(f.process.privileged?.value).toBe(true);
    expect(f.process.nprocLimit?.value).toBe(2048);
    expect(f.process.nofileLimit?.value).toBe(1024);
    expect(f.node.cgroupChains?.[0]).toMatchObject({ controller: 'pids', max: null });
  });
});

describe('ulimit, /proc/<pid>/limits and /proc/<pid>/status', () => {
  // lxc/lxcfs#122: `ulimit -a` on the host.
  const ULIMIT = paste(`
    core file size          (blocks, -c) 0
    data seg size           (kbytes, -d) unlimited
    open files                      (-n) 500000
    pipe size            (512 bytes, -p) 8
    max user processes              (-u) 65535
    virtual memory          (kbytes, -v) unlimited
    `);

  it('ulimit -a on the node is the login shell: a note, no process limit (lxc/lxcfs#122, canonical/lxd#3764)', () => {
    for (const text of [`ulimit -a\n${ULIMIT}`, 'root@SGBPPC098:~# ulimit -u\n31503\n']) {
      const f = read(text);
      expect(f.process).toEqual({});
      expect(f.notes.join(' ')).toMatch(/limits of the shell it ran in, a login session/);
    }
  });

  it('ulimit -a run in the container is the process limit (the lxcfs#122 output, through kubectl exec)', () => {
    const f = read(`$ kubectl exec web-0 -- sh -c 'ulimit -a'\n${ULIMIT}`);
    expect(f.process.nprocLimit).toMatchObject({ value: 65535, evidence: { line: 6 } });
    expect(f.process.nofileLimit).toMatchObject({ value: 500000, evidence: { line: 4 } });
    expect(f.notes).toEqual([]);
  });

  it('/proc/<pid>/limits: the soft column, unlimited as null (coreos/bugs#1069)', () => {
    const f = read(
      paste(`
      $ cat /proc/63491/limits
      Limit                     Soft Limit           Hard Limit           Units
      Max cpu time              unlimited            unlimited            seconds
      Max processes             unlimited            unlimited            processes
      Max open files            65536                65536                files
      Max locked memory         unlimited            unlimited            bytes
      `),
    );
    expect(f.process.nprocLimit).toMatchObject({ value: null, evidence: { line: 4 } });
    expect(f.process.nofileLimit).toMatchObject({ value: 65536, evidence: { line: 5 } });
  });

  it('/proc/self/limits read on the node is the shell: a note; garbage rows are no limit', () => {
    const f = read('# cat /proc/self/limits\nMax processes   4096   4096   processes\n');
    expect(f.process).toEqual({});
    expect(f.notes.join(' ')).toMatch(/table of the shell that read it/);
    expect(read('$ cat /proc/1/limits\nMax processes   lots   4096   processes\n').process).toEqual({});
  });

  it('/proc/<pid>/status of a real process: its real UID, and not its live thread count', () => {
    // This test process's own status file, pasted as a user would.
    const status = readFileSync('/proc/self/status', 'utf8');
    const f = read(`$ cat /proc/${process.pid}/status\n${status}`);
    expect(f.process.realUid?.value).toBe(process.getuid!());
    expect(f.process.realUid?.evidence.text).toMatch(/^Uid:/);
    expect(f.process.threads).toBeUndefined();
    expect(read('Uid: root root root root\n').process).toEqual({});
  });
});
