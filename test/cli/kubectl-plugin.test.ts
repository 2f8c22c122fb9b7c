// podmortem as a kubectl plugin: installed as npm installs it (npm install -g of this folder, into a
// scratch prefix), `kubectl plugin list` finds kubectl-podmortem on PATH and `kubectl podmortem ...`
// runs it. Also the krew manifest names that same executable.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO, ensureBuilt } from './helpers.js';

const prefix = mkdtempSync(join(tmpdir(), 'pm-npm-prefix-'));
const bin = join(prefix, 'bin');
const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}`, NO_COLOR: '1' };
const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

beforeAll(() => {
  ensureBuilt();
  // A folder install links the package and its bins, chmod included, without fetching anything.
  execFileSync(
    'npm',
    ['install', '-g', '--prefix', prefix, REPO, '--offline', '--no-audit', '--no-fund', '--ignore-scripts'],
    {
      stdio: 'pipe',
    },
  );
}, 120_000);

function run(cmd: string, args: string[], input = '') {
  const r = spawnSync(cmd, args, { cwd: REPO, env, input, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kubectl podmortem', () => {
  it('package.json installs a kubectl-podmortem executable beside podmortem', () => {
    const r = run(join(bin, 'kubectl-podmortem'), ['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: kubectl podmortem /);
  });

  it('kubectl finds the plugin and runs it', () => {
    // kubectl is installed by .ci/run; a machine without it cannot check this, and CI must not pass silently.
    if (!kubectl) {
      expect(process.env.CI, 'kubectl is missing: install it (Debian: kubernetes-client)').toBeFalsy();
      return;
    }
    const list = run('kubectl', ['plugin', 'list']);
    expect(list.stdout).toContain(join(bin, 'kubectl-podmortem'));
    const help = run('kubectl', ['podmortem', 'analyze', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kubectl podmortem analyze /);
    expect(help.stdout).toContain('-f, --format <format>');
    const analyzed = run(
      'kubectl',
      ['podmortem', 'analyze', '-f', 'json'],
      'runtime: failed to create new OS thread (have 41 already; errno=11)\n',
    );
    expect(analyzed.status).toBe(0);
    expect(JSON.parse(analyzed.stdout).incidents[0].signatures[0].id).toBe('go.newosproc');
    const bad = run('kubectl', ['podmortem', 'explain', 'pid_max']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/did you mean kernel\.pid_max/);
  });

  it('the krew manifest installs the same executable', () => {
    const manifest = parse(readFileSync(join(REPO, 'deploy/krew/podmortem.yaml'), 'utf8'));
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
      kind: 'Plugin',
      metadata: { name: 'podmortem' },
      spec: { version: `v${pkg.version}` },
    });
    expect(manifest.spec.shortDescription.length).toBeLessThanOrEqual(50);
    for (const p of manifest.spec.platforms) {
      expect(p.bin).toBe('kubectl-podmortem');
      expect(p.uri).toContain(`v${pkg.version}`);
      expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(p.files.some((f: { to: string }) => f.to === '.')).toBe(true);
    }
    expect(pkg.bin['kubectl-podmortem']).toBe(pkg.bin.podmortem);
  });
});
