// kubectl output pasted into posts: `get pod` rows, `describe pod`, and `logs` naming the pod.
import { describe, expect, it } from 'vitest';
import { paste, read, SRC } from './helpers.js';

describe('kubectl get pod rows', () => {
  it('a grepped -owide row after its command: restarts, status, node and the namespace of -n (seed)', () => {
    const f = read(
      paste(`
      \`\`\`bash
      kubectl -n kube-system get pod -owide | grep calico-node-56bgm
      calico-node-56bgm                             1/1     Running   21         246d   10.165.6.26      10.165.6.26   <none>           <none>
      \`\`\`
      `),
    );
    expect(f.subject.value).toEqual({
      pod: 'calico-node-56bgm',
      namespace: 'kube-system',
      restartCount: 21,
      node: '10.165.6.26',
    });
    expect(f.subject.evidence[0]).toMatchObject({ source: SRC, line: 3 });
  });

  it('a table with a header and several pods: the pod `kubectl logs` names is the subject (kubernetes/kubernetes#63873)', () => {
    const table = paste(`
      [root@k8s-node1 ~]# kubectl get pod -n kube-system
      NAME                                       READY     STATUS              RESTARTS   AGE
      calico-etcd-spwts                          1/1       Running             0          1h
      calico-node-ls4nf                          1/2       CrashLoopBackOff    12         44m
      calico-node-x7nkw                          1/2       Running             13         44m
      kube-proxy-gfvf8                           0/1       ImagePullBackOff    0          44m
      `);
    expect(read(table).subject.value).toEqual({}); // several pods, none named: no subject
    const f = read(
      `${table}\n[root@k8s-node1 ~]# kubectl logs -n kube-system calico-node-ls4nf -c calico-node\n`,
    );
    expect(f.subject.value).toEqual({ pod: 'calico-node-ls4nf', namespace: 'kube-system', restartCount: 12 });
    expect(f.subject.evidence[0]!.line).toBe(4);
  });

  it('RESTARTS as "21 (3m ago)" (kubectl 1.22+) and -A with the namespace column', () => {
    const f = read(
      paste(`
      $ kubectl get pods -A -o wide
      NAMESPACE     NAME                READY   STATUS             RESTARTS       AGE   IP           NODE      NOMINATED NODE   READINESS GATES
      kube-system   calico-node-56bgm   0/1     CrashLoopBackOff   21 (3m ago)    246d  10.165.6.26  node-a    <none>           <none>
      `),
    );
    expect(f.subject.value).toEqual({
      namespace: 'kube-system',
      pod: 'calico-node-56bgm',
      restartCount: 21,
      node: 'node-a',
    });
  });

  it('rejects prose and rows that are not rows', () => {
    for (const text of [
      'NAME is the first column and READY the second.',
      '$ kubectl get pod x\nx   1/1   Running   lots   3d',
      '$ kubectl get pod x -o yaml\nx   1/1   Running   3   3d',
      'calico-node-56bgm 1/1 Running 21 246d', // no command and no header: could be anything
    ])
      expect(read(text).subject.value).toEqual({});
  });
});

describe('kubectl describe pod', () => {
  it('Last State Terminated, its reason and exit code, and the restart count (kubernetes/kubernetes#122256)', () => {
    const f = read(
      paste(`
      wk64c
          State: Running
            Started: Mon, 13 Nov 2023 03:50:57 +0100
          Last State: Terminated
            Reason: Error
            Exit Code: 137
            Started: Mon, 13 Nov 2023 03:48:52 +0100
            Finished: Mon, 13 Nov 2023 03:50:55 +0100
          Ready: True
          Restart Count: 1
      `),
    );
    expect(f.subject.value).toEqual({ reason: 'Error', exitCode: 137, restartCount: 1 });
    expect(f.subject.evidence.map((e) => e.line)).toEqual([6, 10]);
  });

  it('the whole describe after its command: pod, namespace, node, memory limit, restarts (kubernetes/kubernetes#10861)', () => {
    const f = read(
      paste(`
      [12:54:41] $ ./cluster/kubectl.sh describe pod simmemleak-hra99
      Name:				simmemleak-hra99
      Namespace:			default
      Image(s):			saadali/simmemleak
      Node:				kubernetes-minion-tf0f/10.240.216.66
      Labels:				name=simmemleak
      Status:				Running
      Containers:
        simmemleak:
          Image:	saadali/simmemleak
          Limits:
            cpu:		100m
            memory:		50Mi
          State:		Running
            Started:		Tue, 07 Jul 2015 12:54:41 -0700
          Ready:		False
          Restart Count:	5
      `),
    );
    expect(f.subject.value).toMatchObject({
      pod: 'simmemleak-hra99',
      namespace: 'default',
      node: 'kubernetes-minion-tf0f',
      container: 'simmemleak',
      restartCount: 5,
    });
    expect(f.process.memoryLimit).toMatchObject({ value: 50 * 1024 * 1024, evidence: { line: 13 } });
    // The container's image (not the pod-level "Image(s):" summary): the fix names its language runtime.
    expect(f.process.image).toMatchObject({ value: 'saadali/simmemleak', evidence: { line: 10 } });
  });

  it('an OOMKilled last state pasted alone (gimlet-io/gimlet#649); a running state is no exit', () => {
    const f = read(
      paste(`
      Last State:     Terminated
        Reason:       OOMKilled
        Exit Code:    137
      `),
    );
    expect(f.subject.value).toEqual({ reason: 'OOMKilled', exitCode: 137 });
    expect(
      read('$ kubectl describe pod x\n    State:  Running\n    Exit Code: banana\n').subject.value,
    ).toEqual({ pod: 'x' });
  });
});
