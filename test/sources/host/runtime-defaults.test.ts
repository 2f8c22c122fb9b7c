// The Docker daemon's defaults are where a container's "4096" comes from: read from daemon.json and
// RHEL's /etc/sysconfig/docker, and named in the report beside the causes they feed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../../src/pipeline/analyze.js';
import { readNodeFacts } from '../../../src/sources/host/node-facts.js';

const made: string[] = [];
function snapshot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'pm-rtdef-'));
  made.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('Docker daemon defaults', () => {
  it('reads default-pids-limit and default-ulimits from daemon.json with their line', async () => {
    const root = snapshot({
      'etc/docker/daemon.json': JSON.stringify(
        {
          'default-pids-limit': 4096,
          'default-ulimits': { nofile: { Name: 'nofile', Hard: 4096, Soft: 1024 } },
        },
        null,
        2,
      ),
    });
    const facts = await readNodeFacts(root);
    expect(facts.runtimeDefaults?.pidsLimit).toMatchObject({
      value: 4096,
      evidence: { source: '/etc/docker/daemon.json', line: 2 },
    });
    expect(facts.runtimeDefaults?.ulimits).toEqual([
      expect.objectContaining({ name: 'nofile', soft: 1024, hard: 4096 }),
    ]);
  });

  it("reads RHEL's sysconfig OPTIONS and names the default beside the pids cause", async () => {
    const root = snapshot({
      'etc/sysconfig/docker':
        "# /etc/sysconfig/docker\nOPTIONS='--selinux-enabled --default-pids-limit=4096 --default-ulimit nproc=2048:4096'\n",
    });
    const log = join(root, 'crash.log');
    writeFileSync(log, 'runtime: failed to create new OS thread (have 4090 already; errno=11)\n');
    const { report } = await analyze({ inputs: [log], nodeRoot: root });
    const notes = report.incidents[0]!.notes.join('\n');
    expect(notes).toMatch(
      /pids\.max 4096 unless it is started with --pids-limit \(\/etc\/sysconfig\/docker:2/,
    );
    expect(notes).toMatch(/nproc soft 2048 \/ hard 4096 for every container/);
  });

  it('says one sentence for a daemon.json that is not JSON', async () => {
    const root = snapshot({ 'etc/docker/daemon.json': '{ "default-pids-limit": 4096,' });
    const facts = await readNodeFacts(root);
    expect(facts.runtimeDefaults).toBeUndefined();
    expect(facts.unreadable).toContain(
      '/etc/docker/daemon.json: not valid JSON; the daemon defaults in it were not read.',
    );
  });
});
