// gRPC over a unix socket with messages from a protobufjs root: what crictl and the kubelet do,
// without generated code. Every call has a deadline and every answer a size bound, so a socket that
// is silent or floods cannot hang or exhaust podmortem; decoded messages are plain objects (int64 as
// decimal strings, enums as names, empty fields filled with their defaults) for zod to validate.
import grpc from '@grpc/grpc-js';
import type protobuf from 'protobufjs';

/** The largest answer accepted (crictl's default is 16 MiB: a ListContainers of a few thousand containers). */
export const MAX_MESSAGE_BYTES = 16 << 20;
/** Default deadline of one unary call. */
export const CALL_DEADLINE_MS = 5000;

const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  objects: true,
};

export interface GrpcError {
  code: grpc.status;
  details: string;
}

export class UnixGrpc {
  private readonly client: grpc.Client;

  constructor(
    /** The real socket path on this machine (already resolved under the host root). */
    readonly socketPath: string,
    private readonly root: protobuf.Root,
  ) {
    this.client = new grpc.Client(`unix://${socketPath}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
      // One attempt: a socket that refuses is reported, not retried for the whole deadline.
      'grpc.enable_retries': 0,
      'grpc.initial_reconnect_backoff_ms': 100,
    });
  }

  private codec(type: string) {
    const t = this.root.lookupType(type);
    return {
      encode: (v: object) => Buffer.from(t.encode(t.fromObject(v)).finish()),
      decode: (b: Buffer) => t.toObject(t.decode(b), TO_OBJECT),
    };
  }

  /** One unary call: `method` is "/package.Service/Method"; resolves with the decoded answer or rejects with a GrpcError. */
  unary(
    method: string,
    requestType: string,
    responseType: string,
    request: object,
    opts: { deadlineMs?: number; metadata?: Record<string, string> } = {},
  ): Promise<Record<string, unknown>> {
    const req = this.codec(requestType);
    const res = this.codec(responseType);
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(opts.metadata ?? {})) metadata.set(k, v);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        method,
        req.encode,
        res.decode,
        request,
        metadata,
        { deadline: Date.now() + (opts.deadlineMs ?? CALL_DEADLINE_MS) },
        (err, value) => {
          if (err) reject({ code: err.code, details: err.details } satisfies GrpcError);
          else resolve(value ?? {});
        },
      );
    });
  }

  /** A server stream; the caller cancels it (call.cancel()) when done. */
  serverStream(
    method: string,
    requestType: string,
    responseType: string,
    request: object,
    opts: { metadata?: Record<string, string> } = {},
  ): grpc.ClientReadableStream<Record<string, unknown>> {
    const req = this.codec(requestType);
    const res = this.codec(responseType);
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(opts.metadata ?? {})) metadata.set(k, v);
    return this.client.makeServerStreamRequest(method, req.encode, res.decode, request, metadata, {});
  }

  /** Decodes a message of `type` from bytes (a google.protobuf.Any's value). */
  decode(type: string, bytes: Uint8Array): Record<string, unknown> {
    return this.codec(type).decode(Buffer.from(bytes));
  }

  close(): void {
    this.client.close();
  }
}

export function isGrpcError(e: unknown): e is GrpcError {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as GrpcError).code === 'number';
}

export const Status = grpc.status;
