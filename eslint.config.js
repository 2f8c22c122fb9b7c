// Lint: the recommended JS and typescript-eslint rules; generated and vendored output is ignored.
// The layering of src/ is a rule, not a habit (README, "Architecture"): evidence imports nothing,
// sources only read (evidence), knowledge reasons over evidence, diagnose over knowledge and
// evidence, reports only render; the pipeline and the CLI are the only places that join them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders of src/ a layer must not import, with the reason shown when it does (and, optionally, modules). */
function forbid(files, layers, why, { ignores = [], paths = [] } = {}) {
  return {
    files,
    ignores,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: layers.flatMap((l) => [`**/${l}/*`, `**/${l}/**`]), message: why }],
          paths,
        },
      ],
    },
  };
}

/**
 * Node evidence (a live node, /host, a snapshot, a bundle's nodes/, the kubelet log folder) is read
 * through HostRoot only (src/sources/host/root.ts): it resolves every path under its root, never
 * follows a link out, opens regular files only and bounds every read. Only root.ts and the
 * /dev/kmsg readers (a character device found through root.resolve) may touch the filesystem there.
 */
const NODE_FS = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises'].map((name) => ({
  name,
  message: 'Read node evidence through HostRoot (src/sources/host/root.ts), never with fs directly.',
}));
const NODE_READERS = [
  'src/sources/host/**',
  'src/sources/logs/pod-log-folder.ts',
  'src/sources/runtime/**',
  'src/pipeline/**',
];
const NODE_READERS_FS_OK = [
  'src/sources/host/root.ts',
  'src/sources/host/kernel-log.ts',
  'src/sources/host/kernel-follower.ts',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/out/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  forbid(
    ['src/evidence/**'],
    ['sources', 'knowledge', 'diagnose', 'pipeline', 'report', 'cli', 'redact'],
    'src/evidence is the fact model: plain data that every layer shares and that imports no layer.',
  ),
  forbid(
    ['src/sources/**'],
    ['knowledge', 'diagnose', 'pipeline', 'report', 'cli'],
    'src/sources only read: they produce evidence and never import the knowledge, the diagnosis, the pipeline or the reports.',
  ),
  forbid(
    NODE_READERS.filter((f) => f.startsWith('src/sources/')),
    ['knowledge', 'diagnose', 'pipeline', 'report', 'cli'],
    'src/sources only read: they produce evidence and never import the knowledge, the diagnosis, the pipeline or the reports.',
    { ignores: NODE_READERS_FS_OK, paths: NODE_FS },
  ),
  forbid(['src/pipeline/**'], ['cli'], 'src/pipeline is called by the CLI, never the other way round.', {
    paths: NODE_FS,
  }),
  forbid(
    ['src/knowledge/**'],
    ['sources', 'diagnose', 'pipeline', 'report', 'cli'],
    'src/knowledge reasons over evidence only: facts reach it through the pipeline, never by reading a source.',
  ),
  forbid(
    ['src/diagnose/**'],
    ['sources', 'pipeline', 'report', 'cli'],
    'src/diagnose weighs evidence with the knowledge; reading sources belongs to src/pipeline.',
  ),
  forbid(
    ['src/fix/**'],
    ['diagnose', 'pipeline', 'report', 'cli'],
    'src/fix turns a report into changes: it plans from the report, the knowledge and what sources read, and never diagnoses or renders reports.',
  ),
  forbid(
    ['src/report/**'],
    ['sources', 'knowledge', 'diagnose', 'pipeline', 'cli'],
    'src/report renders one Report model and decides nothing.',
  ),
);
