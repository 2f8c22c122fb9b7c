// Which language runtime the crashed container runs, as the evidence shows it, so a fix names that
// runtime's own setting (a JVM is not told to set GOMEMLIMIT). The crash output is the strongest
// sign (a Go stack, a Java exception), then the spec's command, its runtime variables, its image.
// Nothing is guessed beyond these: without a sign the fix says so and lists the common runtimes.
import type { Evidence } from '../../../evidence/types.js';
import type { CauseContext } from '../../types.js';

export type Language = 'jvm' | 'go' | 'node' | 'python' | 'dotnet';

export interface LanguageSeen {
  id: Language;
  /** "the JVM", "Go": as a sentence names it. */
  name: string;
  /** What showed it, e.g. 'image "eclipse-temurin:17-jre"'. */
  shownBy: string;
  evidence: Evidence;
}

export const LANGUAGE_NAMES: Record<Language, string> = {
  jvm: 'the JVM',
  go: 'the Go runtime',
  node: 'Node.js',
  python: 'Python',
  dotnet: '.NET',
};

/** Signature families that are a language runtime's own output. */
const BY_FAMILY: Record<string, Language> = {
  jvm: 'jvm',
  elasticsearch: 'jvm',
  go: 'go',
  node: 'node',
  python: 'python',
  dotnet: 'dotnet',
};

/** The program a command starts (its file name). */
const BY_PROGRAM: [RegExp, Language][] = [
  [/^java$/, 'jvm'],
  [/^(?:node|nodejs)$/, 'node'],
  [/^(?:python[\d.]*|pypy3?|gunicorn|uvicorn|celery)$/, 'python'],
  [/^dotnet$/, 'dotnet'],
];

/** Runtime variables (as the sources keep them: NAME=value) and flags. */
const BY_SETTING: [RegExp, Language][] = [
  [/^(?:JAVA_TOOL_OPTIONS|JDK_JAVA_OPTIONS|JAVA_OPTS|_JAVA_OPTIONS)=|(?:^| )-(?:X[^X:]|XX:)/, 'jvm'],
  [/^(?:GOMEMLIMIT|GOMAXPROCS|GOGC)=/, 'go'],
  [/^(?:NODE_OPTIONS|UV_THREADPOOL_SIZE)=|--max-old-space-size=/, 'node'],
  [/^DOTNET_/, 'dotnet'],
  [/^PYTHONMALLOC=/, 'python'],
];

/**
 * Image names (registry and tag aside) that are a runtime's official or well-known images. Only
 * names that cannot be another language: "calico/node" is a Go program, so a bare "node" counts
 * only as Docker Hub's official image.
 */
const BY_IMAGE: [RegExp, Language][] = [
  [
    /(?:^|\/)(?:openjdk|eclipse-temurin|temurin|amazoncorretto|corretto|zulu[\w-]*|liberica[\w-]*|ibm-semeru[\w-]*|semeru[\w-]*|graalvm[\w-]*|jdk|jre|java|maven|gradle|tomcat|jetty|wildfly|keycloak|elasticsearch|opensearch|logstash|kafka|cp-kafka|zookeeper|cassandra|solr|jenkins)(?::|@|$)/,
    'jvm',
  ],
  [/^(?:docker\.io\/)?(?:library\/)?node(?::|@|$)|(?:^|\/)nodejs[\w-]*(?::|@|$)/, 'node'],
  [/(?:^|\/)(?:python|pypy)(?::|@|$)/, 'python'],
  [/(?:^|\/)dotnet\/(?:aspnet|runtime|sdk)(?::|@|$)/, 'dotnet'],
  [/(?:^|\/)golang(?::|@|$)/, 'go'],
];

/** The language runtime the evidence shows, with what showed it; undefined when nothing does. */
export function languageOf(ctx: CauseContext): LanguageSeen | undefined {
  for (const hit of ctx.incident.signatures) {
    const id = BY_FAMILY[hit.family];
    const evidence = hit.evidence[0];
    if (id && evidence) return seen(id, `the ${hit.id} line of its output`, evidence);
  }
  const p = ctx.process;
  if (p.command) {
    const program = (p.command.value.split(' ')[0] ?? '').split('/').pop() ?? '';
    const byProgram = BY_PROGRAM.find(([re]) => re.test(program));
    if (byProgram) return seen(byProgram[1], `its command "${program}"`, p.command.evidence);
  }
  for (const s of p.runtimeEnv ?? []) {
    const bySetting = BY_SETTING.find(([re]) => re.test(s.value));
    if (bySetting) return seen(bySetting[1], `its setting ${s.value.split('=')[0]}`, s.evidence);
  }
  const flag = p.command && BY_SETTING.find(([re]) => re.test(p.command!.value));
  if (flag && p.command) return seen(flag[1], `its command's flags`, p.command.evidence);
  if (p.image) {
    const name = p.image.value.toLowerCase();
    const byImage = BY_IMAGE.find(([re]) => re.test(name.replace(/[:@][^/]*$/, '')));
    if (byImage) return seen(byImage[1], `its image "${p.image.value}"`, p.image.evidence);
  }
  return undefined;
}

function seen(id: Language, shownBy: string, evidence: Evidence): LanguageSeen {
  return { id, name: LANGUAGE_NAMES[id], shownBy, evidence };
}
