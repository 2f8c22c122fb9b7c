// YAML output, in a module of its own so that it is loaded only for -f yaml: yaml is CommonJS, and a
// dynamic import() of it in the bundle would give its default export only; a static import here does not.
export { stringify } from 'yaml';
