// Gzipped logs, read transparently: the kubelet compresses its rotations (0.log.<timestamp>.gz) and
// people hand over crash.log.gz. Inflation is bounded: a small file can inflate to gigabytes (a gzip
// bomb), so reading stops at a cap and says so in one sentence; what was read is still analyzed.
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';

/** Kubelet rotations are 10 MiB by default (containerLogMaxSize); a log past this is not read further. */
export const GUNZIP_MAX_BYTES = 256 << 20;

/** gzip's magic number and the deflate method: what every gzip file starts with. */
export function isGzip(head: Buffer): boolean {
  return head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08;
}

/**
 * The inflated content of `source`, at most `cap` bytes. Running past the cap or a stream cut short
 * adds a sentence to `warnings`; data that is not gzip is an error whose message is a sentence.
 */
export function gunzipBounded(
  source: Readable,
  name: string,
  warnings: string[],
  cap = GUNZIP_MAX_BYTES,
): Readable {
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);
  async function* inflate(): AsyncGenerator<Buffer> {
    let total = 0;
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        if (total + chunk.length > cap) {
          yield chunk.subarray(0, cap - total);
          warnings.push(
            `${name}: decompresses to more than ${cap >> 20} MiB; only the first ${cap >> 20} MiB were read (a gzip bomb, or a log to decompress and split by hand).`,
          );
          return; // leaving the loop destroys the inflater: nothing more is read or inflated
        }
        total += chunk.length;
        yield chunk;
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'Z_BUF_ERROR') {
        // Cut short (a rotation still being written, a partial copy): what it held was read.
        warnings.push(`${name}: the gzip data ends early (truncated); what it held was read.`);
        return;
      }
      if (typeof code === 'string' && code.startsWith('Z_'))
        throw new Error(`not valid gzip data: ${(err as Error).message}`);
      throw err;
    } finally {
      source.destroy();
    }
  }
  return Readable.from(inflate(), { objectMode: false });
}
