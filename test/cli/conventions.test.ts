// Conventions people type (issue 14, item 3): -f and a yaml format, -o FORMAT refused with a hint,
// colour switches, a hint when stdin is a terminal, a pod spec piped on stdin, "did you mean" and
// JSON in explain, gzipped logs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, ensureBuilt, podmortem, type Run } from './helpers.js';

const EXAMPLE = join(REPO, 'examples/calico-node-newosproc');
const LOG = join(EXAMPLE, 'calico-node.log');
const POD = join(EXAMPLE, 'pod.yaml');
const CRASH = 'runtime: failed to create new OS thread (have 41 already; errno=11)';
const ANSI = /\x1b\[[0-9;]*m/;
const dir = mkdtempSync(join(tmpdir(), 'pm-conventions-'));

beforeAll(() => ensureBuilt());

/** The CLI on a pseudo-terminal (util-linux script): stdin and stdout are a tty, stdin at EOF. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const cmd = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
    cwd: REPO,
    input: '',
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: 'xterm', ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneSentence(r: Run): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^podmortem: /);
  return lines[0]!;
}

describe('formats', () => {
  it('-f is --format, and --format json is unchanged', () => {
    const long = podmortem(['analyze', LOG, POD, '--node-root', join(EXAMPLE, 'node'), '--format', 'json']);
    const short = podmortem(['analyze', LOG, POD, '--node-root', join(EXAMPLE, 'node'), '-f', 'json']);
    expect(short.status).toBe(0);
    expect(short.stdout).toBe(long.stdout);
    expect(JSON.parse(long.stdout).incidents[0].causes[0]).toMatchObject({
      id: 'kernel.pid_max',
      verdict: 'confirmed',
    });
  });

  it('-f yaml is the JSON model as YAML', () => {
    const json = podmortem(['analyze', LOG, POD, '--node-root', join(EXAMPLE, 'node'), '-f', 'json']);
    const yaml = podmortem(['analyze', LOG, POD, '--node-root', join(EXAMPLE, 'node'), '-f', 'yaml']);
    expect(yaml.status).toBe(0);
    expect(yaml.stdout).not.toMatch(/^\s*\{/);
    expect(parse(yaml.stdout)).toEqual(JSON.parse(json.stdout));
  });

  it('-o json (the kubectl habit) is refused with a hint, and no file named json appears', () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    for (const [typed, format] of [
      ['json', 'json'],
      ['yaml', 'yaml'],
      ['wide', 'text'],
    ]) {
      const r = podmortem(['analyze', LOG, '-o', typed!], { cwd });
      expect(r.status).toBe(1);
      expect(oneSentence(r)).toContain(
        `-o ${typed}: -o names the file to write; for the format use -f ${format}`,
      );
    }
    expect(readdirSync(cwd)).toEqual([]);
    // -o - is standard output, as in kubectl's -f -.
    const dash = podmortem(['analyze', LOG, '-f', 'json', '-o', '-'], { cwd });
    expect(dash.status).toBe(0);
    expect(JSON.parse(dash.stdout).incidents).toHaveLength(1);
    expect(readdirSync(cwd)).toEqual([]);
    // A path that happens to be a format's name is written when it says so.
    const r = podmortem(['analyze', LOG, '-o', './json'], { cwd });
    expect(r.status).toBe(0);
    expect(readFileSync(join(cwd, 'json'), 'utf8')).toContain('go.newosproc');
  });
});

describe('colour', () => {
  it('FORCE_COLOR colours a piped report; --no-color wins over it', () => {
    const forced = podmortem(['analyze', LOG], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(ANSI);
    const off = podmortem(['analyze', LOG, '--no-color'], { env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    expect(off.status).toBe(0);
    expect(off.stdout).not.toMatch(ANSI);
    expect(off.stdout).toContain('go.newosproc');
    const zero = podmortem(['analyze', LOG], { env: { NO_COLOR: undefined, FORCE_COLOR: '0' } });
    expect(zero.stdout).not.toMatch(ANSI);
  });

  it('on a terminal: coloured by default, plain with NO_COLOR or --no-color', () => {
    expect(onTerminal(['analyze', LOG]).stdout).toMatch(ANSI);
    expect(onTerminal(['analyze', LOG], { NO_COLOR: '1' }).stdout).not.toMatch(ANSI);
    const flag = onTerminal(['analyze', LOG, '--no-color']);
    expect(flag.stdout).not.toMatch(ANSI);
    expect(flag.stdout).toContain('go.newosproc');
  });
});

describe('standard input', () => {
  it('on a terminal, analyze says it is waiting for a log instead of waiting silently', () => {
    const r = onTerminal(['analyze']);
    expect(r.stdout).toMatch(
      /reading the crashed container's log from standard input \(paste it, then Ctrl-D\)/,
    );
    expect(r.status).toBe(0);
  });

  it('piped, no hint', () => {
    const r = podmortem(['analyze', '-f', 'json'], { input: CRASH });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).incidents).toHaveLength(1);
  });

  it('a pod spec piped on stdin is read as a pod spec, not as a log', () => {
    // kubectl get pod -o yaml | podmortem analyze crash.log -
    const withSpec = podmortem(['analyze', LOG, '-', '-f', 'json'], { input: readFileSync(POD) });
    const fromFile = podmortem(['analyze', LOG, POD, '-f', 'json']);
    expect(withSpec.status).toBe(0);
    const j = JSON.parse(withSpec.stdout);
    expect(j.incidents).toHaveLength(1);
    expect(j.incidents[0].subject).toMatchObject({ pod: 'calico-node-56bgm', namespace: 'kube-system' });
    // The same report as the spec given as a file, up to the name the spec was read from.
    expect(withSpec.stdout.replaceAll('"stdin', `"${POD}`)).toBe(fromFile.stdout);
  });

  it('a pod spec alone on stdin is not misread as a log: it asks for the log too', () => {
    const r = podmortem(['analyze', '-f', 'json'], { input: readFileSync(POD) });
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.incidents).toEqual([]);
    expect(j.warnings).toEqual([
      expect.stringMatching(/^stdin: a pod spec without the crashed container's log/),
    ]);
  });

  it('a pod spec as JSON with apiVersion and spec.containers but no kind is a pod spec too', () => {
    const spec = { apiVersion: 'v1', metadata: { name: 'web-0' }, spec: { containers: [{ name: 'web' }] } };
    const r = podmortem(['analyze', LOG, '-', '-f', 'json'], { input: JSON.stringify(spec) });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).incidents[0].subject.pod).toBe('web-0');
  });

  it('a log that merely starts like YAML stays a log', () => {
    const r = podmortem(['analyze', '-f', 'json'], { input: `kind: x\n${CRASH}\n` });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).incidents[0].signatures[0].evidence[0]).toMatchObject({
      source: 'stdin',
      line: 2,
    });
  });
});

describe('explain', () => {
  it('an unknown id offers the closest ids', () => {
    const r = podmortem(['explain', 'pid_max']);
    expect(r.status).toBe(1);
    expect(oneSentence(r)).toMatch(/unknown id "pid_max"; did you mean kernel\.pid_max\?/);
    const typo = podmortem(['explain', 'go.newosprc']);
    expect(oneSentence(typo)).toMatch(/did you mean go\.newosproc/);
  });

  it('--format json gives the page as data, and the list of ids', () => {
    const r = podmortem(['explain', 'kernel.pid_max', '--format', 'json']);
    expect(r.status).toBe(0);
    const page = JSON.parse(r.stdout);
    expect(page).toMatchObject({ kind: 'cause', id: 'kernel.pid_max' });
    expect(page.docs.what).toMatch(/pid/i);
    expect(page.docs.sources.length).toBeGreaterThan(0);
    const sig = JSON.parse(podmortem(['explain', 'go.newosproc', '-f', 'json']).stdout);
    expect(sig).toMatchObject({ kind: 'signature', id: 'go.newosproc', family: expect.any(String) });
    const list = JSON.parse(podmortem(['explain', '-f', 'json']).stdout);
    expect(list.causes.map((c: { id: string }) => c.id)).toContain('kernel.pid_max');
    expect(list.signatures.map((s: { id: string }) => s.id)).toContain('go.newosproc');
  });
});

describe('gzipped logs', () => {
  const podDir = join(dir, 'pods', 'shop_web-0_0a1b2c3d-1111-2222-3333-444455556666', 'web');

  it('a rotated kubelet log (0.log.<timestamp>.gz) is decompressed and its crash found', () => {
    mkdirSync(podDir, { recursive: true });
    writeFileSync(
      join(podDir, '0.log.20240501-101500.gz'),
      gzipSync(`2024-05-01T10:14:59.1Z stderr F ${CRASH}\n`),
    );
    writeFileSync(join(podDir, '1.log'), '2024-05-01T10:16:00.0Z stdout F started\n');
    const r = podmortem(['analyze', join(dir, 'pods'), '-f', 'json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.incidents).toHaveLength(1);
    expect(j.incidents[0].subject).toMatchObject({
      namespace: 'shop',
      pod: 'web-0',
      container: 'web',
      restartCount: 0,
    });
    expect(j.incidents[0].signatures[0].evidence[0].text).toBe(CRASH);
    expect(j.warnings.join(' ')).not.toMatch(/binary/);
  });

  it('a .gz given by name, and gzip piped on stdin, are read too', () => {
    const gz = join(dir, 'crash.log.gz');
    writeFileSync(gz, gzipSync(`${CRASH}\n`));
    expect(JSON.parse(podmortem(['analyze', gz, '-f', 'json']).stdout).incidents).toHaveLength(1);
    const piped = podmortem(['analyze', '-f', 'json'], { input: gzipSync(`${CRASH}\n`) });
    expect(JSON.parse(piped.stdout).incidents).toHaveLength(1);
  });

  it('a gzip bomb stops at the cap with one sentence, and what was read is analyzed', () => {
    // 300 gzip members of 1 MiB of log lines each (valid gzip: members concatenate), ~300 MiB inflated.
    const member = gzipSync(Buffer.alloc(1 << 20, 'INFO all is well\n'));
    const bomb = Buffer.concat([gzipSync(`${CRASH}\n`), ...Array.from({ length: 300 }, () => member)]);
    const path = join(dir, 'bomb.log.gz');
    writeFileSync(path, bomb);
    const r = podmortem(['analyze', path, '-f', 'json']);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.incidents).toHaveLength(1);
    expect(j.warnings.join('\n')).toMatch(
      /bomb\.log\.gz: decompresses to more than 256 MiB; only the first 256 MiB were read/,
    );
  });

  it('a corrupt .gz is one sentence, exit 1', () => {
    const path = join(dir, 'corrupt.log.gz');
    // A gzip header, then a deflate block of the reserved type 3: invalid data, not a truncation.
    writeFileSync(
      path,
      Buffer.concat([gzipSync(`${CRASH}\n`).subarray(0, 10), Buffer.from([0xff, 0xff, 0xff])]),
    );
    const r = podmortem(['analyze', path]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/corrupt\.log\.gz: .*not valid gzip/);
    expect(existsSync(path)).toBe(true);
  });
});

describe('--help teaches the conventions', () => {
  it('each command shows -f, --no-color and an example using them', () => {
    for (const cmd of ['analyze', 'node', 'scan']) {
      const r = podmortem([cmd, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('-f, --format <format>');
      expect(r.stdout).toContain('"yaml"');
      expect(r.stdout).toContain('--no-color');
      expect(r.stdout).toMatch(/^ {2}.*podmortem .* -f (json|yaml|markdown)/m);
    }
    expect(podmortem(['collect', '--help']).stdout).toMatch(/^ {2}podmortem collect .*--force/m);
    expect(podmortem(['explain', '--help']).stdout).toMatch(/^ {2}podmortem explain .* -f json/m);
    const top = podmortem(['--help']).stdout;
    expect(top).toMatch(/^ {2}kubectl podmortem /m);
    expect(top).toContain('-o json is refused');
  });
});
