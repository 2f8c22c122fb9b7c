// Builders of API objects with the shapes kube-apiserver returns (fields as in `kubectl get -o json`
// of a v1.29 cluster), for the stand-in's fixtures and the benchmark.
import { createHash } from 'node:crypto';

const uid = (s) => {
  const h = createHash('sha1').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/**
 * @param {object} o { ns, name, node, owner: {kind, name}, labels, containers: [{ name, image, restartCount,
 *   lastTerminated: {exitCode, reason, finishedAt}, waiting: reason, runAsUser, privileged, memoryLimit, ready }],
 *   ready, hostUsers }
 */
export function pod(o) {
  const created = o.created ?? '2026-11-20T08:00:00Z';
  const containers = o.containers ?? [{ name: 'app' }];
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: o.name,
      namespace: o.ns,
      uid: uid(`${o.ns}/${o.name}`),
      resourceVersion: '48213',
      creationTimestamp: created,
      labels: o.labels ?? { app: o.name.replace(/-[a-z0-9]{5}$/, '') },
      ...(o.owner
        ? {
            ownerReferences: [
              {
                apiVersion: o.owner.kind === 'Job' ? 'batch/v1' : 'apps/v1',
                kind: o.owner.kind,
                name: o.owner.name,
                uid: uid(`${o.ns}/${o.owner.kind}/${o.owner.name}`),
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          }
        : {}),
    },
    spec: {
      ...(o.hostUsers === false ? { hostUsers: false } : {}),
      containers: containers.map((c) => ({
        name: c.name,
        image: c.image ?? `registry.example.com/${c.name}:1.0`,
        ...(c.env ? { env: c.env } : {}),
        resources: c.memoryLimit
          ? { limits: { memory: c.memoryLimit }, requests: { memory: c.memoryLimit } }
          : {},
        ...(c.liveness
          ? {
              livenessProbe: {
                httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
                periodSeconds: 10,
                failureThreshold: 3,
              },
            }
          : {}),
        securityContext: {
          ...(c.runAsUser !== undefined ? { runAsUser: c.runAsUser } : {}),
          ...(c.privileged !== undefined ? { privileged: c.privileged } : {}),
        },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      })),
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      nodeName: o.node,
      securityContext: {},
      schedulerName: 'default-scheduler',
    },
    status: {
      phase: 'Running',
      conditions: [
        {
          type: 'Ready',
          status: o.ready === false ? 'False' : 'True',
          lastTransitionTime: '2026-11-29T10:00:00Z',
        },
        {
          type: 'ContainersReady',
          status: o.ready === false ? 'False' : 'True',
          lastTransitionTime: '2026-11-29T10:00:00Z',
        },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: created },
      ],
      hostIP: o.hostIP ?? '10.165.6.26',
      podIP: o.podIP ?? '192.168.10.4',
      startTime: created,
      qosClass: 'Burstable',
      containerStatuses: containers.map((c) => ({
        name: c.name,
        ready: c.ready ?? !c.waiting,
        restartCount: c.restartCount ?? 0,
        started: !c.waiting,
        image: c.image ?? `registry.example.com/${c.name}:1.0`,
        imageID: `registry.example.com/${c.name}@sha256:${createHash('sha256').update(c.name).digest('hex')}`,
        containerID: `containerd://${createHash('sha256')
          .update(o.name + c.name)
          .digest('hex')}`,
        state: c.waiting
          ? {
              waiting: {
                reason: c.waiting,
                message: `back-off 5m0s restarting failed container=${c.name} pod=${o.name}_${o.ns}(${uid(`${o.ns}/${o.name}`)})`,
              },
            }
          : { running: { startedAt: '2026-11-29T11:58:00Z' } },
        lastState: c.lastTerminated
          ? {
              terminated: {
                exitCode: c.lastTerminated.exitCode,
                reason: c.lastTerminated.reason ?? 'Error',
                startedAt: c.lastTerminated.startedAt ?? '2026-11-29T11:40:00Z',
                finishedAt: c.lastTerminated.finishedAt ?? '2026-11-29T11:57:30Z',
                containerID: `containerd://${createHash('sha256')
                  .update(o.name + c.name + 'prev')
                  .digest('hex')}`,
              },
            }
          : {},
      })),
    },
  };
}

/** A Node as the kubelet reports it. */
export function node(name, o = {}) {
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name,
      uid: uid(`node/${name}`),
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' },
      creationTimestamp: '2026-03-01T00:00:00Z',
    },
    spec: { podCIDR: '192.168.10.0/24' },
    status: {
      conditions: [
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          message: 'kubelet has sufficient memory available',
          lastTransitionTime: '2026-11-01T00:00:00Z',
        },
        {
          type: 'DiskPressure',
          status: 'False',
          reason: 'KubeletHasNoDiskPressure',
          message: 'kubelet has no disk pressure',
          lastTransitionTime: '2026-11-01T00:00:00Z',
        },
        {
          type: 'PIDPressure',
          status: o.pidPressure ? 'True' : 'False',
          reason: o.pidPressure ? 'KubeletHasInsufficientPID' : 'KubeletHasSufficientPID',
          message: o.pidPressure
            ? 'kubelet has insufficient PID available'
            : 'kubelet has sufficient PID available',
          lastTransitionTime: '2026-11-29T11:50:00Z',
        },
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastTransitionTime: '2026-11-01T00:00:00Z',
        },
      ],
      addresses: [{ type: 'InternalIP', address: o.ip ?? name }],
      nodeInfo: {
        machineID: createHash('md5').update(name).digest('hex'),
        systemUUID: uid(`sys/${name}`).toUpperCase(),
        bootID: uid(`boot/${name}`),
        kernelVersion: o.kernel ?? '3.10.0-1160.59.1.el7.x86_64',
        osImage: o.osImage ?? 'CentOS Linux 7 (Core)',
        containerRuntimeVersion: o.runtime ?? 'docker://19.3.15',
        kubeletVersion: o.kubelet ?? 'v1.19.4',
        kubeProxyVersion: o.kubelet ?? 'v1.19.4',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/** An Event about a pod (core/v1 Event as `kubectl get events -o json` shows it). */
export function event(p, o) {
  return {
    kind: 'Event',
    apiVersion: 'v1',
    metadata: {
      name: `${p.metadata.name}.${createHash('md5')
        .update(o.reason + o.message)
        .digest('hex')
        .slice(0, 16)}`,
      namespace: p.metadata.namespace,
    },
    involvedObject: {
      kind: 'Pod',
      namespace: p.metadata.namespace,
      name: p.metadata.name,
      uid: p.metadata.uid,
      apiVersion: 'v1',
      ...(o.container ? { fieldPath: `spec.containers{${o.container}}` } : {}),
    },
    reason: o.reason,
    message: o.message,
    source: { component: 'kubelet', host: p.spec.nodeName },
    firstTimestamp: o.first ?? '2026-11-29T11:30:00Z',
    lastTimestamp: o.last ?? '2026-11-29T11:57:00Z',
    count: o.count ?? 1,
    type: o.type ?? 'Warning',
    reportingComponent: 'kubelet',
    reportingInstance: p.spec.nodeName,
  };
}

/** An owner object (ReplicaSet, Deployment, DaemonSet, StatefulSet, Job) with its own ownerReferences. */
export function owner(kind, ns, name, parent) {
  return {
    kind,
    apiVersion: kind === 'Job' ? 'batch/v1' : 'apps/v1',
    metadata: {
      name,
      namespace: ns,
      uid: uid(`${ns}/${kind}/${name}`),
      ...(parent
        ? {
            ownerReferences: [
              {
                apiVersion: 'apps/v1',
                kind: parent.kind,
                name: parent.name,
                uid: uid(`${ns}/${parent.kind}/${parent.name}`),
                controller: true,
              },
            ],
          }
        : {}),
    },
    spec: {},
    status: {},
  };
}
