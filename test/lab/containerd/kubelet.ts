// The lab plays the kubelet: the CRI calls that create and remove pods (RunPodSandbox,
// CreateContainer, StartContainer, StopPodSandbox, RemovePodSandbox). podmortem itself only reads,
// so these messages live here, added to the source's proto subset (field numbers from
// kubernetes/cri-api:pkg/apis/runtime/v1/api.proto).
import protobuf from 'protobufjs';
import { UnixGrpc } from '../../../src/sources/runtime/cri/grpc.js';
import { protoRoot } from '../../../src/sources/runtime/cri/proto.js';

const WRITE_PROTO = `
syntax = "proto3";
package runtime.v1;
message DNSConfig { repeated string servers = 1; repeated string searches = 2; repeated string options = 3; }
enum NamespaceMode { POD = 0; CONTAINER = 1; NODE = 2; TARGET = 3; }
message NamespaceOption {
  NamespaceMode network = 1;
  NamespaceMode pid = 2;
  NamespaceMode ipc = 3;
  string target_id = 4;
}
message Int64Value { int64 value = 1; }
message LinuxSandboxSecurityContext {
  NamespaceOption namespace_options = 1;
  Int64Value run_as_user = 3;
  bool privileged = 6;
}
message LinuxPodSandboxConfig {
  string cgroup_parent = 1;
  LinuxSandboxSecurityContext security_context = 2;
}
message PodSandboxConfig {
  PodSandboxMetadata metadata = 1;
  string hostname = 2;
  string log_directory = 3;
  DNSConfig dns_config = 4;
  map<string, string> labels = 6;
  map<string, string> annotations = 7;
  LinuxPodSandboxConfig linux = 8;
}
message RunPodSandboxRequest { PodSandboxConfig config = 1; string runtime_handler = 2; }
message RunPodSandboxResponse { string pod_sandbox_id = 1; }
message StopPodSandboxRequest { string pod_sandbox_id = 1; }
message StopPodSandboxResponse {}
message RemovePodSandboxRequest { string pod_sandbox_id = 1; }
message RemovePodSandboxResponse {}
message KeyValue { string key = 1; string value = 2; }
message Mount { string container_path = 1; string host_path = 2; bool readonly = 3; }
message Capability { repeated string add_capabilities = 1; repeated string drop_capabilities = 2; }
message LinuxContainerSecurityContext {
  Capability capabilities = 1;
  bool privileged = 2;
  NamespaceOption namespace_options = 3;
  Int64Value run_as_user = 5;
}
message LinuxContainerConfig {
  LinuxContainerResources resources = 1;
  LinuxContainerSecurityContext security_context = 2;
}
message ContainerConfig {
  ContainerMetadata metadata = 1;
  ImageSpec image = 2;
  repeated string command = 3;
  repeated string args = 4;
  repeated KeyValue envs = 6;
  repeated Mount mounts = 7;
  map<string, string> labels = 9;
  map<string, string> annotations = 10;
  string log_path = 11;
  LinuxContainerConfig linux = 15;
}
message CreateContainerRequest {
  string pod_sandbox_id = 1;
  ContainerConfig config = 2;
  PodSandboxConfig sandbox_config = 3;
}
message CreateContainerResponse { string container_id = 1; }
message StartContainerRequest { string container_id = 1; }
message StartContainerResponse {}
`;

export interface SandboxConfig {
  metadata: { name: string; uid: string; namespace: string; attempt: number };
  log_directory: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  linux: {
    cgroup_parent: string;
    security_context: { namespace_options: { network: 'NODE'; pid: 'POD' | 'CONTAINER' } };
  };
}

export interface ContainerConfig {
  metadata: { name: string; attempt: number };
  image: { image: string };
  command: string[];
  args?: string[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  log_path: string;
  mounts?: { container_path: string; host_path: string; readonly: boolean }[];
  linux?: {
    resources?: { memory_limit_in_bytes?: number };
    security_context?: { run_as_user?: { value: number } };
  };
}

/** The kubelet's side of CRI, for the lab. */
export class LabKubelet {
  private readonly grpc: UnixGrpc;

  constructor(socketPath: string) {
    const root = protoRoot();
    protobuf.parse(WRITE_PROTO, root, { keepCase: true });
    root.resolveAll();
    this.grpc = new UnixGrpc(socketPath, root);
  }

  private call(method: string, req: object): Promise<Record<string, unknown>> {
    return this.grpc.unary(
      `/runtime.v1.RuntimeService/${method}`,
      `runtime.v1.${method}Request`,
      `runtime.v1.${method}Response`,
      req,
      { deadlineMs: 60_000 },
    );
  }

  async runPodSandbox(config: SandboxConfig): Promise<string> {
    const r = await this.call('RunPodSandbox', { config });
    return String(r['pod_sandbox_id']);
  }

  async createContainer(sandboxId: string, config: ContainerConfig, sandbox: SandboxConfig): Promise<string> {
    const r = await this.call('CreateContainer', {
      pod_sandbox_id: sandboxId,
      config,
      sandbox_config: sandbox,
    });
    return String(r['container_id']);
  }

  async startContainer(id: string): Promise<void> {
    await this.call('StartContainer', { container_id: id });
  }

  async removePodSandbox(id: string): Promise<void> {
    await this.call('StopPodSandbox', { pod_sandbox_id: id });
    await this.call('RemovePodSandbox', { pod_sandbox_id: id });
  }

  close(): void {
    this.grpc.close();
  }
}
