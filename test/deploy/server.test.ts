// deploy/server and deploy/agent-to-server as `kubectl apply -k` would apply them: every flag the
// manifests pass is one the built CLI accepts (its --help), the Secrets and probes are wired to what
// the server serves, the agent points at the server's Service with a token projected for the
// audience the server checks, and the server's ClusterRole allows exactly the TokenReview its
// client sends (checked against the requests the real authenticator makes to the stand-in API).
import { spawnSync } from 'node:child_process';
import { KubeConfig } from '@kubernetes/client-node';
import { beforeAll, expect, it } from 'vitest';
import { tokenReview } from '../../src/serve/auth.js';
import { builtCli } from '../lab/harness/index.js';
import { describeNeeding } from '../prerequisites.js';
import { serviceAccountIdentity, startStandin } from '../standin/server.mjs';
import { attributes, unauthorized, type RbacRule } from './rbac.js';
import { one, render, type K8sObject } from './render.js';

interface Container {
  name: string;
  args: string[];
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  startupProbe: { httpGet: { path: string; port: string }; periodSeconds: number; failureThreshold: number };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: Record<string, unknown> & { capabilities: { drop: string[] } };
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  secret?: { secretName: string };
  projected?: { sources: { serviceAccountToken?: { audience: string; path: string } }[] };
}
interface PodSpec {
  serviceAccountName: string;
  securityContext: Record<string, unknown>;
  containers: Container[];
  volumes: Volume[];
}
type Workload = K8sObject & {
  spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
};
type Role = K8sObject & { rules: RbacRule[] };
type Binding = K8sObject & {
  roleRef: { name: string };
  subjects: { kind: string; name: string; namespace: string }[];
};
type Service = K8sObject & {
  spec: { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] };
};

/** The long flags `podmortem <command> --help` lists. */
function acceptedFlags(command: string): Set<string> {
  const r = spawnSync(process.execPath, [builtCli(), command, '--help'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return new Set([...r.stdout.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]!));
}

/** "--flag value" pairs after the command word; a flag given twice keeps both values. */
function flagsOf(args: string[], command: string): Map<string, string[]> {
  expect(args[0]).toBe(command);
  const out = new Map<string, string[]>();
  for (let i = 1; i < args.length; i += 2) {
    expect(args[i], `args[${i}] is a flag`).toMatch(/^--[a-z-]+$/);
    out.set(args[i]!, [...(out.get(args[i]!) ?? []), args[i + 1]!]);
  }
  return out;
}

/** The file a flag names must lie in a mounted volume; that volume. */
function volumeOfFile(spec: PodSpec, file: string): Volume {
  const c = spec.containers[0]!;
  const mount = c.volumeMounts.find((m) => file.startsWith(`${m.mountPath}/`));
  expect(mount, `${file} is inside a mounted volume`).toBeDefined();
  const volume = spec.volumes.find((v) => v.name === mount!.name);
  expect(volume, `volume ${mount!.name}`).toBeDefined();
  return volume!;
}

describeNeeding(
  'deploy/server and deploy/agent-to-server rendered with kubectl kustomize',
  ['kubectl'],
  () => {
    let server: K8sObject[] = [];
    let agent: K8sObject[] = [];
    beforeAll(() => {
      server = render('deploy/server');
      agent = render('deploy/agent-to-server');
    });

    it('holds a Deployment, its Service, ServiceAccount and TokenReview RBAC, all in podmortem', () => {
      expect(server.map((o) => o.kind).sort()).toEqual([
        'ClusterRole',
        'ClusterRoleBinding',
        'Deployment',
        'Namespace',
        'Service',
        'ServiceAccount',
      ]);
      for (const o of server)
        if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))
          expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('podmortem');
      // The same Namespace object as the agent's: applying either first leaves it identical.
      expect(one(server, 'Namespace')).toEqual(one(render('deploy/agent'), 'Namespace'));
    });

    it('passes the server only flags its --help lists, with the database URL and the token from Secrets', () => {
      const accepted = acceptedFlags('server');
      const spec = one<Workload>(server, 'Deployment').spec.template.spec;
      const c = spec.containers[0]!;
      const flags = flagsOf(c.args, 'server');
      for (const flag of flags.keys())
        expect(accepted, `${flag} is a flag of podmortem server`).toContain(flag);
      expect(flags.get('--listen')).toEqual(['0.0.0.0:9714']);
      expect(flags.get('--auth')).toEqual(['tokenreview']);
      // The store's URL comes from the Secret as PODMORTEM_STORE (read by --store when absent): never
      // written in the manifest, never in the process's command line.
      expect(flags.has('--store')).toBe(false);
      expect(c.env?.find((e) => e.name === 'PODMORTEM_STORE')?.valueFrom?.secretKeyRef).toEqual({
        name: 'podmortem-server-db',
        key: 'url',
      });
      const tokenVolume = volumeOfFile(spec, flags.get('--token-file')![0]!);
      expect(tokenVolume.secret?.secretName).toBe('podmortem-agents-token');
      expect(flags.get('--token-file')![0]).toMatch(/\/token$/);
    });

    it('probes /healthz and /readyz on the port --listen serves, which the Service targets', () => {
      const spec = one<Workload>(server, 'Deployment').spec.template.spec;
      const c = spec.containers[0]!;
      expect(c.ports).toEqual([expect.objectContaining({ name: 'http', containerPort: 9714 })]);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      // Migrations run before the server listens: liveness must not kill an upgrade of a large history.
      expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(600);
      const svc = one<Service>(server, 'Service');
      expect(svc.spec.ports).toEqual([
        expect.objectContaining({ name: 'http', port: 9714, targetPort: 'http' }),
      ]);
      expect(one<Workload>(server, 'Deployment').spec.template.metadata.labels).toMatchObject(
        svc.spec.selector,
      );
      expect(c.resources.requests).toHaveProperty('memory');
      expect(c.resources.limits).toHaveProperty('memory');
    });

    it('runs as a non-root user with nothing writable but /tmp and no capability', () => {
      const spec = one<Workload>(server, 'Deployment').spec.template.spec;
      expect(spec.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(spec.securityContext.runAsUser).not.toBe(0);
      const sc = spec.containers[0]!.securityContext;
      expect(sc).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
      expect(sc.capabilities.drop).toEqual(['ALL']);
      expect(sc).not.toHaveProperty('privileged', true);
    });

    it("binds a ClusterRole that allows exactly the server's TokenReview to the ServiceAccount it runs as", async () => {
      const role = one<Role>(server, 'ClusterRole');
      const binding = one<Binding>(server, 'ClusterRoleBinding');
      const sa = one(server, 'ServiceAccount');
      expect(binding.roleRef.name).toBe(role.metadata.name);
      expect(binding.subjects).toEqual([
        { kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'podmortem' },
      ]);
      expect(one<Workload>(server, 'Deployment').spec.template.spec.serviceAccountName).toBe(
        sa.metadata.name,
      );
      // The requests the server's authenticator really sends, through the Kubernetes client.
      const standin = await startStandin({});
      try {
        standin.state.reviewTokens.set(
          't',
          serviceAccountIdentity('podmortem', 'podmortem-agent', ['podmortem-server']),
        );
        const kc = new KubeConfig();
        kc.loadFromFile(standin.kubeconfig);
        const review = tokenReview({
          kc,
          allowed: ['podmortem/podmortem-agent'],
          audience: 'podmortem-server',
        });
        expect(await review('t')).toEqual({ ok: true, who: 'podmortem/podmortem-agent' });
        const requests = standin.requests;
        expect(requests.length).toBeGreaterThan(0);
        expect(unauthorized(role.rules, requests)).toEqual([]);
        const used = new Set(
          requests.map((r) => attributes(r)).map((a) => `${a.group}/${a.resource}/${a.verb}`),
        );
        const granted = role.rules.flatMap((r) =>
          r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}/${v}`))),
        );
        expect(granted.sort()).toEqual([...used].sort());
      } finally {
        await standin.close();
      }
    });

    it("points the agent at the server's Service with a token projected for the audience the server checks", () => {
      const accepted = acceptedFlags('agent');
      const ds = one<Workload>(agent, 'DaemonSet');
      const spec = ds.spec.template.spec;
      const flags = flagsOf(spec.containers[0]!.args, 'agent');
      for (const flag of flags.keys())
        expect(accepted, `${flag} is a flag of podmortem agent`).toContain(flag);
      // Everything deploy/agent passes is still there.
      const base = flagsOf(
        one<Workload>(render('deploy/agent'), 'DaemonSet').spec.template.spec.containers[0]!.args,
        'agent',
      );
      for (const [flag, values] of base) expect(flags.get(flag), flag).toEqual(values);

      const svc = one<Service>(server, 'Service');
      const url = new URL(flags.get('--server')![0]!);
      expect(url.hostname).toBe(`${svc.metadata.name}.${svc.metadata.namespace}.svc`);
      expect(Number(url.port)).toBe(svc.spec.ports[0]!.port);

      const tokenFile = flags.get('--token-file')![0]!;
      const projected = volumeOfFile(spec, tokenFile).projected?.sources.find((s) => s.serviceAccountToken);
      expect(projected, 'the token file is a projected ServiceAccount token').toBeDefined();
      expect(tokenFile.endsWith(`/${projected!.serviceAccountToken!.path}`)).toBe(true);
      const serverFlags = flagsOf(
        one<Workload>(server, 'Deployment').spec.template.spec.containers[0]!.args,
        'server',
      );
      expect(projected!.serviceAccountToken!.audience).toBe(serverFlags.get('--token-audience')![0]);
      // The server allows the ServiceAccount the agent runs as.
      expect(serverFlags.get('--allow-serviceaccount')).toContain(
        `${ds.metadata.namespace}/${spec.serviceAccountName}`,
      );
    });
  },
);
