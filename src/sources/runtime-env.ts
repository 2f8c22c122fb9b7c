// The environment variables that tune a language runtime, read from a pod spec or a runtime record.
// Only these names are read, and of their values only the runtime's own flags are kept (-Xmx768m,
// -XX:MaxRAMPercentage=75, --max-old-space-size=512, a byte count): JAVA_TOOL_OPTIONS may also carry
// -Djavax.net.ssl.trustStorePassword=..., which must never reach a report.

/** Variable names whose values are a single setting (a size, a count, a percentage). */
const SINGLE = new Set([
  'GOMEMLIMIT',
  'GOMAXPROCS',
  'GOGC',
  'UV_THREADPOOL_SIZE',
  'DOTNET_GCHeapHardLimit',
  'DOTNET_GCHeapHardLimitPercent',
  'DOTNET_gcServer',
  'PYTHONMALLOC',
  'MALLOC_ARENA_MAX',
]);

/** Variable names holding a command line of options; only option tokens of the runtime are kept. */
const OPTIONS: Record<string, RegExp> = {
  JAVA_TOOL_OPTIONS: /^-(?:X[^X:]|XX:)/,
  JDK_JAVA_OPTIONS: /^-(?:X[^X:]|XX:)/,
  JAVA_OPTS: /^-(?:X[^X:]|XX:)/,
  _JAVA_OPTIONS: /^-(?:X[^X:]|XX:)/,
  NODE_OPTIONS: /^--(?:max-old-space-size|max-semi-space-size|stack-size)=/,
};

/** A setting value: letters, digits and a few separators, short (anything else is not a setting). */
const SAFE_VALUE = /^[\w.%+:=-]{1,64}$/;

/** The runtime-tuning entries of a NAME=value list (Docker's Config.Env, an OCI spec's process.env), for a RuntimeContainer. */
export function runtimeEnvOf(env: readonly string[] | null | undefined): { runtimeEnv?: string[] } {
  const kept = (env ?? []).flatMap((kv) => {
    const i = kv.indexOf('=');
    const entry = i > 0 ? runtimeEnvEntry(kv.slice(0, i), kv.slice(i + 1)) : undefined;
    return entry ? [entry] : [];
  });
  return kept.length > 0 ? { runtimeEnv: kept } : {};
}

/** "NAME=value" for a variable that tunes a language runtime, its value reduced to the runtime's flags; undefined otherwise. */
export function runtimeEnvEntry(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (SINGLE.has(name)) return SAFE_VALUE.test(value.trim()) ? `${name}=${value.trim()}` : undefined;
  const keep = OPTIONS[name];
  if (!keep) return undefined;
  const flags = value
    .split(/\s+/)
    .filter((t) => keep.test(t) && SAFE_VALUE.test(t))
    .slice(0, 16);
  // The name alone still says which runtime it is, even when none of its flags is about memory.
  return flags.length > 0 ? `${name}=${flags.join(' ')}` : `${name}=(no heap or stack flag)`;
}
