// The part of the kubelet's Container Runtime Interface (runtime.v1) and of containerd's event API
// that podmortem reads, written here rather than generated. Field numbers are those of
// kubernetes/cri-api:pkg/apis/runtime/v1/api.proto and of containerd/containerd:api/events/task.proto,
// api/types/event.proto, api/services/events/v1/events.proto. Protobuf skips fields it does not
// know, so a subset decodes any newer runtime's answers; a number must never be changed.
// Kept as text (not a .proto file) so it ships inside dist/ with the code that parses it.
import protobuf from 'protobufjs';

export const CRI_RUNTIME_PROTO = `
syntax = "proto3";
package runtime.v1;

service RuntimeService {
  rpc Version(VersionRequest) returns (VersionResponse) {}
  rpc ListPodSandbox(ListPodSandboxRequest) returns (ListPodSandboxResponse) {}
  rpc ListContainers(ListContainersRequest) returns (ListContainersResponse) {}
  rpc ContainerStatus(ContainerStatusRequest) returns (ContainerStatusResponse) {}
  rpc GetContainerEvents(GetEventsRequest) returns (stream ContainerEventResponse) {}
}

message VersionRequest { string version = 1; }
message VersionResponse {
  string version = 1;
  string runtime_name = 2;
  string runtime_version = 3;
  string runtime_api_version = 4;
}

message PodSandboxMetadata {
  string name = 1;
  string uid = 2;
  string namespace = 3;
  uint32 attempt = 4;
}
enum PodSandboxState {
  SANDBOX_READY = 0;
  SANDBOX_NOTREADY = 1;
}
message PodSandboxStateValue { PodSandboxState state = 1; }
message PodSandboxFilter {
  string id = 1;
  PodSandboxStateValue state = 2;
  map<string, string> label_selector = 3;
}
message ListPodSandboxRequest { PodSandboxFilter filter = 1; }
message PodSandbox {
  string id = 1;
  PodSandboxMetadata metadata = 2;
  PodSandboxState state = 3;
  int64 created_at = 4;
  map<string, string> labels = 5;
  map<string, string> annotations = 6;
  string runtime_handler = 7;
}
message ListPodSandboxResponse { repeated PodSandbox items = 1; }
message PodSandboxStatus {
  string id = 1;
  PodSandboxMetadata metadata = 2;
  PodSandboxState state = 3;
  int64 created_at = 4;
  map<string, string> labels = 7;
  map<string, string> annotations = 8;
}

message ImageSpec { string image = 1; }
message ContainerMetadata {
  string name = 1;
  uint32 attempt = 2;
}
enum ContainerState {
  CONTAINER_CREATED = 0;
  CONTAINER_RUNNING = 1;
  CONTAINER_EXITED = 2;
  CONTAINER_UNKNOWN = 3;
}
message ContainerStateValue { ContainerState state = 1; }
message ContainerFilter {
  string id = 1;
  ContainerStateValue state = 2;
  string pod_sandbox_id = 3;
  map<string, string> label_selector = 4;
}
message ListContainersRequest { ContainerFilter filter = 1; }
message Container {
  string id = 1;
  string pod_sandbox_id = 2;
  ContainerMetadata metadata = 3;
  ImageSpec image = 4;
  string image_ref = 5;
  ContainerState state = 6;
  int64 created_at = 7;
  map<string, string> labels = 8;
  map<string, string> annotations = 9;
}
message ListContainersResponse { repeated Container containers = 1; }

message ContainerStatusRequest {
  string container_id = 1;
  bool verbose = 2;
}
message LinuxContainerResources {
  int64 cpu_period = 1;
  int64 cpu_quota = 2;
  int64 cpu_shares = 3;
  int64 memory_limit_in_bytes = 4;
  int64 oom_score_adj = 5;
}
message ContainerResources { LinuxContainerResources linux = 1; }
message LinuxContainerUser {
  int64 uid = 1;
  int64 gid = 2;
  repeated int64 supplemental_groups = 3;
}
message ContainerUser { LinuxContainerUser linux = 1; }
message ContainerStatus {
  string id = 1;
  ContainerMetadata metadata = 2;
  ContainerState state = 3;
  int64 created_at = 4;
  int64 started_at = 5;
  int64 finished_at = 6;
  int32 exit_code = 7;
  ImageSpec image = 8;
  string image_ref = 9;
  string reason = 10;
  string message = 11;
  map<string, string> labels = 12;
  map<string, string> annotations = 13;
  string log_path = 15;
  ContainerResources resources = 16;
  ContainerUser user = 18;
}
message ContainerStatusResponse {
  ContainerStatus status = 1;
  map<string, string> info = 2;
}

message GetEventsRequest {}
enum ContainerEventType {
  CONTAINER_CREATED_EVENT = 0;
  CONTAINER_STARTED_EVENT = 1;
  CONTAINER_STOPPED_EVENT = 2;
  CONTAINER_DELETED_EVENT = 3;
}
message ContainerEventResponse {
  string container_id = 1;
  ContainerEventType container_event_type = 2;
  int64 created_at = 3;
  PodSandboxStatus pod_sandbox_status = 4;
  repeated ContainerStatus containers_statuses = 5;
}
`;

const GOOGLE_PROTO = `
syntax = "proto3";
package google.protobuf;
message Timestamp {
  int64 seconds = 1;
  int32 nanos = 2;
}
message Any {
  string type_url = 1;
  bytes value = 2;
}
`;

const CONTAINERD_EVENTS_PROTO = `
syntax = "proto3";
package containerd.services.events.v1;
service Events {
  rpc Subscribe(SubscribeRequest) returns (stream Envelope);
}
message SubscribeRequest { repeated string filters = 1; }
// containerd.types.Envelope since containerd 2.0, containerd.services.events.v1.Envelope in 1.x:
// the same fields and numbers, so one definition decodes both.
message Envelope {
  google.protobuf.Timestamp timestamp = 1;
  string namespace = 2;
  string topic = 3;
  google.protobuf.Any event = 4;
}
`;

const CONTAINERD_TASK_EVENTS_PROTO = `
syntax = "proto3";
package containerd.events;
message TaskExit {
  string container_id = 1;
  string id = 2;
  uint32 pid = 3;
  uint32 exit_status = 4;
  google.protobuf.Timestamp exited_at = 5;
}
message TaskOOM { string container_id = 1; }
`;

/** A fresh root holding the CRI subset, containerd's events and the two Google types they use. */
export function protoRoot(): protobuf.Root {
  const root = new protobuf.Root();
  for (const text of [GOOGLE_PROTO, CRI_RUNTIME_PROTO, CONTAINERD_EVENTS_PROTO, CONTAINERD_TASK_EVENTS_PROTO])
    protobuf.parse(text, root, { keepCase: true });
  root.resolveAll();
  return root;
}
