// The agent's runtime records on a real Docker engine (the lab's private dockerd): a listing per
// read, an inspect only for a container not seen before, whose listed state changed, or that the
// agent was told to forget (its exit event). What a read returns is what `docker inspect` says now:
// a container killed between two reads comes back exited with its exit code, not as the record kept.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RuntimeRecords } from '../../src/agent/runtime-records.js';
import { inspectDocker, listDockerStates } from '../../src/sources/runtime/docker.js';
import { DOCKER_LAB_NEEDS, DockerLab, type Pod } from '../lab/harness/index.js';
import { describeNeeding } from '../prerequisites.js';

describeNeeding('runtime records kept per container on the Docker lab', DOCKER_LAB_NEEDS, () => {
  let lab: DockerLab;
  let a: Pod;
  let b: Pod;
  let records: RuntimeRecords;
  const ours = (ids: string[]) => ids.filter((id) => id === a.id || id === b.id).sort();

  beforeAll(async () => {
    lab = new DockerLab();
    await lab.start();
    a = await lab.run({ pod: 'records-a', container: 'app', cmd: ['sleep', '600'], restart: 'no' });
    b = await lab.run({ pod: 'records-b', container: 'app', cmd: ['sleep', '600'], restart: 'no' });
    const socket = lab.socket;
    records = new RuntimeRecords('docker', socket, () => ({
      list: () => listDockerStates(socket),
      inspect: (id) => inspectDocker(socket, id),
      close: () => undefined,
    }));
  }, 600_000);

  afterAll(async () => {
    await lab?.teardown();
  }, 120_000);

  it('inspects each container once, however many reads follow', async () => {
    const first = await records.all();
    expect(ours(first.containers.map((c) => c.id))).toEqual([a.id, b.id].sort());
    const after = records.inspections;
    const running = await records.running();
    expect(ours(running.containers.map((c) => c.id))).toEqual([a.id, b.id].sort());
    expect(running.containers.find((c) => c.id === a.id)?.pid).toBe((await lab.inspect(a.name)).State.Pid);
    await records.all();
    expect(records.inspections).toBe(after);
  });

  it('a container whose listed state changed is inspected again: killed, it reads exited with its code', async () => {
    const before = records.inspections;
    await lab.docker(['kill', a.name]);
    await lab.exited(a.name);
    const read = await records.all();
    const rec = read.containers.find((c) => c.id === a.id)!;
    expect(rec).toMatchObject({ running: false, exitCode: 137 });
    expect(records.inspections).toBe(before + 1);
    // The sampler no longer sees it.
    expect((await records.running()).containers.map((c) => c.id)).not.toContain(a.id);
  });

  it('a forgotten container (its exit event) is inspected again at the next read', async () => {
    const before = records.inspections;
    records.forget(b.id);
    const read = await records.running();
    expect(read.containers.map((c) => c.id)).toContain(b.id);
    expect(records.inspections).toBe(before + 1);
  });
});
