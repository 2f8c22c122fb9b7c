// The registry of crash signatures: one module per crash family. Adding a family = one file + one line here.
// Ids are a stable public list (family.name); the order only decides which hit is listed first.
import type { SignatureDef } from '../types.js';
import { signatures as beam } from './beam.js';
import { signatures as dotnet } from './dotnet.js';
import { signatures as elasticsearch } from './elasticsearch.js';
import { signatures as files } from './files.js';
import { signatures as generic } from './generic.js';
import { signatures as glibcShell } from './glibc-shell.js';
import { signatures as goRuntime } from './go-runtime.js';
import { signatures as inotify } from './inotify.js';
import { signatures as jvm } from './jvm.js';
import { signatures as kernel } from './kernel.js';
import { signatures as kubernetes } from './kubernetes.js';
import { signatures as nativeThreads } from './native-threads.js';
import { signatures as node } from './node.js';
import { signatures as php } from './php.js';
import { signatures as python } from './python.js';
import { signatures as runtime } from './runtime.js';
import { signatures as rust } from './rust.js';
import { signatures as strace } from './strace.js';

export const SIGNATURES: readonly SignatureDef[] = [
  ...goRuntime,
  ...jvm,
  ...glibcShell,
  ...python,
  ...rust,
  ...node,
  ...dotnet,
  ...nativeThreads,
  ...beam,
  ...php,
  ...runtime,
  ...files,
  ...inotify,
  ...elasticsearch,
  ...kernel,
  ...strace,
  ...kubernetes,
  ...generic,
];

export function signatureById(id: string): SignatureDef | undefined {
  return SIGNATURES.find((s) => s.id === id);
}
