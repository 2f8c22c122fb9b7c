// The shapes of the CRI answers podmortem reads (as decoded by grpc.ts: snake_case names, int64 as
// decimal strings, enums as names) and of the verbose `info` JSON that containerd and CRI-O attach to
// ContainerStatus: containerd's containerInfo {sandboxID, pid, config, runtimeSpec}
// (containerd/containerd:pkg/cri/server/container_status.go) and CRI-O's {sandboxID, pid,
// runtimeSpec, privileged} carry the OCI runtime spec the container was started with.
import { z } from 'zod';

const Int64 = z.union([z.string(), z.number()]).transform((v) => String(v));
const StringMap = z
  .record(z.string(), z.string())
  .nullish()
  .transform((m) => m ?? {});

export const VersionSchema = z.object({
  version: z.string(),
  runtime_name: z.string(),
  runtime_version: z.string(),
  runtime_api_version: z.string(),
});

export const ContainerSchema = z.object({
  id: z.string().min(1),
  pod_sandbox_id: z.string(),
  metadata: z.object({ name: z.string(), attempt: z.number() }).nullish(),
  state: z.string(),
  labels: StringMap,
  annotations: StringMap,
});
export const ListContainersSchema = z.object({ containers: z.array(ContainerSchema) });

export const PodSandboxSchema = z.object({
  id: z.string().min(1),
  metadata: z
    .object({ name: z.string(), uid: z.string(), namespace: z.string(), attempt: z.number() })
    .nullish(),
  state: z.string(),
  labels: StringMap,
  annotations: StringMap,
});
export const ListPodSandboxSchema = z.object({ items: z.array(PodSandboxSchema) });

export const ContainerStatusSchema = z.object({
  id: z.string().min(1),
  metadata: z.object({ name: z.string(), attempt: z.number() }).nullish(),
  state: z.string(),
  created_at: Int64,
  started_at: Int64,
  finished_at: Int64,
  exit_code: z.number(),
  reason: z.string(),
  message: z.string(),
  labels: StringMap,
  annotations: StringMap,
  log_path: z.string(),
  image: z.object({ image: z.string() }).nullish(),
  resources: z.object({ linux: z.object({ memory_limit_in_bytes: Int64 }).nullish() }).nullish(),
  user: z.object({ linux: z.object({ uid: Int64, gid: Int64 }).nullish() }).nullish(),
});
export type CriContainerStatus = z.infer<typeof ContainerStatusSchema>;

export const ContainerStatusResponseSchema = z.object({
  status: ContainerStatusSchema,
  info: StringMap,
});

const Rlimit = z.object({ type: z.string(), soft: z.number(), hard: z.number() });

/** The OCI runtime spec (opencontainers/runtime-spec:config.md, config-linux.md), the fields read. */
export const RuntimeSpecSchema = z.object({
  process: z
    .object({
      user: z.object({ uid: z.number(), gid: z.number().nullish() }).nullish(),
      rlimits: z.array(Rlimit).nullish(),
      env: z.array(z.string()).nullish().catch(null),
      capabilities: z.object({ effective: z.array(z.string()).nullish() }).nullish(),
    })
    .nullish(),
  linux: z
    .object({
      cgroupsPath: z.string().nullish(),
      resources: z
        .object({
          pids: z.object({ limit: z.number() }).nullish(),
          memory: z.object({ limit: z.number().nullish() }).nullish(),
        })
        .nullish(),
      namespaces: z.array(z.object({ type: z.string(), path: z.string().nullish() })).nullish(),
    })
    .nullish(),
});
export type RuntimeSpec = z.infer<typeof RuntimeSpecSchema>;

/** The verbose info["info"] JSON, containerd's or CRI-O's. */
export const VerboseInfoSchema = z.object({
  pid: z.number().nullish(),
  sandboxID: z.string().nullish(),
  privileged: z.boolean().nullish(),
  config: z
    .object({
      linux: z
        .object({
          security_context: z
            .object({
              privileged: z.boolean().nullish(),
              capabilities: z.object({ add_capabilities: z.array(z.string()).nullish() }).nullish(),
            })
            .nullish(),
        })
        .nullish(),
    })
    .nullish(),
  runtimeSpec: RuntimeSpecSchema.nullish(),
});
export type VerboseInfo = z.infer<typeof VerboseInfoSchema>;
