// Lint: the recommended JS and typescript-eslint rules; generated and vendored output is ignored.
// The layering of src/ is a rule, not a habit (README, "Architecture"): evidence imports nothing,
// sources only read (evidence), knowledge reasons over evidence, diagnose over knowledge and
// evidence, reports only render; the pipeline and the CLI are the only places that join them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders of src/ a layer must not import, with the reason shown when it does. */
function forbid(files, layers, why) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: layers.flatMap((l) => [`**/${l}/*`, `**/${l}/**`]), message: why }] },
      ],
    },
  };
}

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
    ['src/report/**'],
    ['sources', 'knowledge', 'diagnose', 'pipeline', 'cli'],
    'src/report renders one Report model and decides nothing.',
  ),
);
