// The read-only CRI calls podmortem makes, as crictl makes them: Version, ListPodSandbox,
// ListContainers (every state, exited ones included) and ContainerStatus with verbose info. Each
// answer is validated before use; a call that fails rejects with a GrpcError for the caller's sentence.
import { z } from 'zod';
import { UnixGrpc, type GrpcError } from './grpc.js';
import { protoRoot } from './proto.js';
import {
  ContainerStatusResponseSchema,
  ListContainersSchema,
  ListPodSandboxSchema,
  VersionSchema,
} from './schema.js';

const SERVICE = '/runtime.v1.RuntimeService';

/** An answer that decoded but is not what the CRI says (a different API behind the same method name). */
export class BadAnswer extends Error {}

function check<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new BadAnswer(`the ${what} answer is not in the CRI runtime.v1 format`);
  return r.data;
}

export class CriClient {
  readonly grpc: UnixGrpc;

  constructor(socketPath: string) {
    this.grpc = new UnixGrpc(socketPath, protoRoot());
  }

  private call(method: string, request: object, deadlineMs?: number): Promise<Record<string, unknown>> {
    return this.grpc.unary(
      `${SERVICE}/${method}`,
      `runtime.v1.${method}Request`,
      `runtime.v1.${method}Response`,
      request,
      deadlineMs !== undefined ? { deadlineMs } : {},
    );
  }

  async version(deadlineMs?: number) {
    return check(VersionSchema, await this.call('Version', { version: 'v1' }, deadlineMs), 'Version');
  }

  async listPodSandbox() {
    return check(ListPodSandboxSchema, await this.call('ListPodSandbox', {}), 'ListPodSandbox').items;
  }

  /** Every container in every state: no filter, as `crictl ps -a`. */
  async listContainers() {
    return check(ListContainersSchema, await this.call('ListContainers', {}), 'ListContainers').containers;
  }

  async containerStatus(id: string) {
    return check(
      ContainerStatusResponseSchema,
      await this.call('ContainerStatus', { container_id: id, verbose: true }),
      'ContainerStatus',
    );
  }

  close(): void {
    this.grpc.close();
  }
}

export type { GrpcError };
