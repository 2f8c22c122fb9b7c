// The /proc parsers against this machine's real /proc and the shell's own view of the same limits.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  capabilityNames,
  inUserNamespace,
  parseLimits,
  parseStatus,
} from '../../../src/sources/host/proc-files.js';
import { describeNeeding } from '../../prerequisites.js';

describeNeeding('proc-status on the real /proc/self', ['linux'], () => {
  it('reads the real and effective UID and the thread count of this process', () => {
    const st = parseStatus(readFileSync('/proc/self/status', 'utf8'))!;
    expect(st.realUid).toBe(process.getuid!());
    expect(st.effectiveUid).toBe(process.geteuid!());
    expect(st.threads).toBeGreaterThanOrEqual(1);
    expect(st.capEffHex).toMatch(/^[0-9a-f]{16}$/);
  });

  it('reads the soft limits the shell reports (ulimit -u, ulimit -n)', () => {
    const rows = parseLimits(readFileSync('/proc/self/limits', 'utf8'));
    const sh = (flag: string) => execFileSync('bash', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
    const nproc = sh('-u');
    const nofile = sh('-n');
    expect(rows.get('Max processes')!.soft).toBe(nproc === 'unlimited' ? null : Number(nproc));
    expect(rows.get('Max open files')!.soft).toBe(nofile === 'unlimited' ? null : Number(nofile));
    expect(rows.get('Max processes')!.text).toMatch(/^Max processes\s+/);
  });

  it('sees that this process is in the initial user namespace', () => {
    expect(inUserNamespace(readFileSync('/proc/self/uid_map', 'utf8'))).toBe(false);
  });
});

describe('proc-status on texts', () => {
  it('recognizes a user namespace mapping (the example of user_namespaces(7))', () => {
    expect(inUserNamespace('         0     100000      65536\n')).toBe(true);
    expect(inUserNamespace('         0          0 4294967295\n')).toBe(false);
  });

  it('decodes CapEff bits 21 and 24 as SYS_ADMIN and SYS_RESOURCE (linux:include/uapi/linux/capability.h)', () => {
    expect(capabilityNames(BigInt('0x0000000001200000'))).toEqual(['SYS_ADMIN', 'SYS_RESOURCE']);
    // Docker's default set: 00000000a80425fb (docker run busybox grep CapEff /proc/1/status)
    const def = capabilityNames(BigInt('0xa80425fb'));
    expect(def).not.toContain('SYS_ADMIN');
    expect(def).not.toContain('SYS_RESOURCE');
    expect(def).toContain('KILL');
  });

  it('returns undefined for garbage instead of throwing', () => {
    expect(parseStatus('\u0000\u0001garbage\nUid:\tnot numbers\n')).toBeUndefined();
    expect(parseLimits('Max processes  lots  lots').size).toBe(0);
  });
});
