// `kubectl logs -p` of an OOM-killed JVM often shows nothing but its normal start-up lines; the pod
// spec's status is then the only record of the crash. `analyze log pod.yaml` used to say "No crash
// recognized" where `pod` and `scan` diagnosed the same status: it now diagnoses from the record.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { podmortem } from './helpers.js';

const OOM_POD = 'test/fix/fixtures/oom-java/pod.yaml';
const dir = mkdtempSync(join(tmpdir(), 'pm-pod-status-'));
const quietLog = join(dir, 'previous.log');
writeFileSync(quietLog, 'Started CheckoutApplication in 3.2 seconds (process running for 3.9)\n');

describe('analyze LOG pod.yaml when the log shows no crash', () => {
  it("diagnoses the status's OOMKilled record: memory.cgroup confirmed, the status lines as evidence", () => {
    const r = podmortem(['analyze', quietLog, OOM_POD, '-f', 'json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as {
      incidents: {
        subject: { container: string; reason?: string };
        causes: { id: string; verdict: string }[];
      }[];
    };
    expect(report.incidents).toHaveLength(1);
    expect(report.incidents[0]!.subject).toMatchObject({ container: 'checkout', reason: 'OOMKilled' });
    expect(report.incidents[0]!.causes[0]).toMatchObject({ id: 'memory.cgroup', verdict: 'confirmed' });
    const text = podmortem(['analyze', quietLog, OOM_POD]).stdout;
    expect(text.split('\n')[0]).toBe(
      'Answer: confirmed memory.cgroup on shop/checkout-7d4b9c8f6d-x2k9p/checkout',
    );
    expect(text).toContain('status.containerStatuses[checkout]');
  });

  it('a container whose crash another log shows is diagnosed once, from that log', () => {
    const ex = 'examples/calico-node-newosproc';
    const r = podmortem(['analyze', `${ex}/calico-node.log`, quietLog, `${ex}/pod.yaml`, '-f', 'json']);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { incidents: { signatures: { id: string }[] }[] };
    expect(report.incidents).toHaveLength(1);
    expect(report.incidents[0]!.signatures.map((s) => s.id)).toContain('go.newosproc');
  });

  it('a status that records a clean exit (Completed, exit 0) is still "no crash recognized"', () => {
    const completed = join(dir, 'completed.yaml');
    writeFileSync(
      completed,
      readFileSync(OOM_POD, 'utf8')
        .replace(/OOMKilled/g, 'Completed')
        .replace(/exitCode: 137/g, 'exitCode: 0'),
    );
    const r = podmortem(['analyze', quietLog, completed]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^No crash recognized/);
    expect(r.stdout).toContain('no crash recognized in 1 line(s)');
  });
});
