// The founding incident as it was posted: a Markdown post with a `kubectl get pod -owide` row, the
// `kubectl logs -p` output and the pasted limits.conf and 20-nproc.conf. Run through the built CLI
// with nothing else, the report names the restarts and the node from the pasted row, and says from
// the pasted files, with their lines in the post, why the limits.d theory does not hold.
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, podmortem } from '../../cli/helpers.js';

const SEED = resolve(import.meta.dirname, '../../../../shared/seed/calico-node-restart.md');

interface Ev {
  source: string;
  line?: number;
  text: string;
}

describe('analyze on the seed Markdown post', () => {
  beforeAll(ensureBuilt);

  it('reports the 21 restarts and node 10.165.6.26 from the pasted kubectl row', () => {
    const run = podmortem(['analyze', SEED, '--format', 'json']);
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout);
    const incident = report.incidents[0];
    expect(incident.subject).toMatchObject({
      namespace: 'kube-system',
      pod: 'calico-node-56bgm',
      node: '10.165.6.26',
      restartCount: 21,
    });
    expect(incident.notes.join('\n')).toContain('21 restarts, node 10.165.6.26 at line 22');
  });

  it('explains from the pasted limits files, with their lines in the post, why limits.d does not hold', () => {
    const report = JSON.parse(podmortem(['analyze', SEED, '--format', 'json']).stdout);
    const incident = report.incidents[0];
    const pam = incident.notes.find((n: string) => n.includes('PAM login sessions only'));
    expect(pam).toBeDefined();
    expect(pam).toContain('exempt root from nproc anyway');
    expect(incident.notes.join('\n')).toContain('/etc/security/limits.d/20-nproc.conf at lines 84-85');
    const nproc = incident.causes.find((c: { id: string }) => c.id === 'rlimit.nproc');
    expect(nproc.reasons.join(' ')).toMatch(/PAM login sessions only/);
    const fromPost = (nproc.evidence as Ev[]).filter((e) => e.source === SEED);
    expect(fromPost).toContainEqual({ source: SEED, line: 84, text: '*          soft    nproc     4096' });
    expect(fromPost).toContainEqual({
      source: SEED,
      line: 85,
      text: 'root       soft    nproc     unlimited',
    });
    expect(fromPost).toContainEqual({ source: SEED, line: 72, text: '*       soft    nproc   65535' });
    // The crash itself is still read from the pasted `kubectl logs -p` output.
    expect(
      incident.signatures.find((s: { id: string }) => s.id === 'go.newosproc').evidence[0],
    ).toMatchObject({
      source: SEED,
      line: 26,
    });
    // No pasted fact confirms a cause: the post shows no node counter.
    expect(incident.causes.filter((c: { verdict: string }) => c.verdict === 'confirmed')).toEqual([]);
  });

  it('the text report prints the subject line and the note', () => {
    const run = podmortem(['analyze', SEED]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('kube-system/calico-node-56bgm (node 10.165.6.26, 21 restarts, exit 2)');
    expect(run.stdout).toContain('set nproc/nofile for PAM login sessions only');
  });
});
