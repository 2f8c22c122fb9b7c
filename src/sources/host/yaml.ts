// The YAML parser, in a module of its own so that it is loaded only when a config file is read: yaml is
// CommonJS, and a dynamic import() of it in the bundle would give its default export only.
export { parse } from 'yaml';
