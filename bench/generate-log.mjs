// Generates a large, realistic container log for the throughput benchmark: what a node's log folder
// holds (CRI lines from containerd, Docker json-file lines, plain `kubectl logs` output) with the
// kinds of apps that print most: JSON structured logs, nginx access lines, Go klog lines, Java stack
// traces. A few crash lines are buried at known line numbers so the benchmark can check they were found.
// Deterministic (a fixed-seed PRNG), written in 4 MiB blocks, so any size costs little memory.
/* global Buffer */
import { createWriteStream } from 'node:fs';

/** The crash lines buried in the log, each in one of the three framings. */
export const CRASH_TEXT = 'runtime: failed to create new OS thread (have 41 already; errno=11)';

let seed = 0x2545f491;
function rand(n) {
  // mulberry32: fast, deterministic, and its low bits vary (a plain LCG's do not).
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) % n;
}
const pick = (a) => a[rand(a.length)];

const PATHS = [
  '/api/v1/orders',
  '/api/v1/users/42',
  '/healthz',
  '/metrics',
  '/static/app.js',
  '/login',
  '/api/v2/search?q=shoes&page=3',
];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36',
  'kube-probe/1.28',
  'Prometheus/2.48.0',
  'curl/8.4.0',
  'Go-http-client/1.1',
];
const CLASSES = [
  'com.example.orders.OrderService',
  'org.springframework.web.servlet.DispatcherServlet',
  'io.netty.channel.nio.NioEventLoop',
  'org.apache.kafka.clients.NetworkClient',
  'com.zaxxer.hikari.pool.HikariPool',
];
const GOFILES = [
  'controller.go',
  'reflector.go',
  'leaderelection.go',
  'server.go',
  'watch.go',
  'endpoints.go',
];
const MSGS = [
  'request served',
  'cache refreshed',
  'connection pool stats',
  'syncing resources',
  'lease renewed',
  'retrying in 2s',
  'user logged in',
  'job finished',
];

function ts(i) {
  const s = i % 86400;
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `2024-05-01T${hh}:${mm}:${ss}.${String(rand(1e9)).padStart(9, '0')}Z`;
}

/** The message of one app line (what the app printed, before any runtime framing). */
function appLine(i) {
  switch (rand(8)) {
    case 0:
    case 1:
      return JSON.stringify({
        level: pick(['info', 'info', 'debug', 'warn']),
        ts: 1714557600 + i,
        caller: `app/${pick(GOFILES)}:${rand(900)}`,
        msg: pick(MSGS),
        trace_id: rand(1e9).toString(16),
        latency_ms: rand(900),
      });
    case 2:
      return `10.${rand(255)}.${rand(255)}.${rand(255)} - - [01/May/2024:10:${String(rand(60)).padStart(2, '0')}:00 +0000] "GET ${pick(PATHS)} HTTP/1.1" ${pick([200, 200, 200, 304, 404, 500])} ${rand(90000)} "-" "${pick(AGENTS)}"`;
    case 3:
      return `I0501 10:00:${String(rand(60)).padStart(2, '0')}.${String(rand(1e6)).padStart(6, '0')}       1 ${pick(GOFILES)}:${rand(900)}] ${pick(MSGS)} namespace="default" name="web-${rand(99)}"`;
    case 4:
      return `\tat ${pick(CLASSES)}.process${rand(9)}(${pick(CLASSES).split('.').pop()}.java:${rand(900)})`;
    case 5:
      return `2024-05-01 10:00:00.${rand(999)} ERROR 1 --- [nio-8080-exec-${rand(9)}] ${pick(CLASSES)} : Request processing failed; nested exception is java.lang.IllegalStateException: upstream timeout`;
    case 6:
      return `2024/05/01 10:00:00 http: TLS handshake error from 10.${rand(255)}.${rand(255)}.${rand(255)}:${rand(65535)}: EOF`;
    default:
      return `level=${pick(['info', 'warn'])} ts=2024-05-01T10:00:00Z caller=${pick(GOFILES)}:${rand(900)} component=${pick(['tsdb', 'scrape', 'rules'])} msg="${pick(MSGS)}" duration=${rand(900)}ms`;
  }
}

/** Frames a message the way the log file holds it; files come in runs of one framing, as a node's files do. */
function frame(msg, framing, i) {
  if (framing === 'cri') return `${ts(i)} ${pick(['stdout', 'stdout', 'stderr'])} F ${msg}`;
  if (framing === 'docker') {
    // Docker's json-file driver escapes <, > and & as \u003c etc., like Go's encoding/json.
    const log = JSON.stringify(msg + '\n')
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026');
    return `{"log":${log},"stream":"${pick(['stdout', 'stderr'])}","time":"${ts(i)}"}`;
  }
  return msg;
}

const FRAMINGS = ['cri', 'docker', 'plain'];

/**
 * Writes about `size` bytes to `path` and resolves to the 1-based line numbers of the buried crashes.
 * Crashes sit at 10%, 50% and 90% of the file, one per framing, plus one as the very last line.
 */
export async function generateLog(path, size) {
  seed = 0x2545f491;
  const out = createWriteStream(path);
  const marks = [0.1, 0.5, 0.9].map((f) => Math.floor(size * f));
  const crashLines = [];
  let written = 0;
  let line = 0;
  let framing = 'cri';
  let block = [];
  let blockBytes = 0;
  const flush = async () => {
    const buf = Buffer.from(block.join(''));
    block = [];
    blockBytes = 0;
    if (!out.write(buf)) await new Promise((r) => out.once('drain', r));
  };
  const push = async (s) => {
    block.push(s + '\n');
    const n = Buffer.byteLength(s) + 1;
    blockBytes += n;
    written += n;
    line++;
    if (blockBytes >= 4 << 20) await flush();
  };
  while (written < size) {
    if (line % 50_000 === 0) framing = FRAMINGS[(line / 50_000) % 3];
    if (marks.length > 0 && written >= marks[0]) {
      const f = FRAMINGS[crashLines.length % 3];
      marks.shift();
      await push(frame(CRASH_TEXT, f, line));
      crashLines.push(line);
      continue;
    }
    await push(frame(appLine(line), framing, line));
  }
  await push(frame(CRASH_TEXT, 'cri', line));
  crashLines.push(line);
  await flush();
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
  return { bytes: written, lines: line, crashLines };
}

/** The real PostgreSQL crash buried in the all-keyword log (docker-library/postgres#809). */
export const PG_CRASH_TEXT =
  '2024-05-01 10:00:00.017 UTC [1] LOG:  server process (PID 315) was terminated by signal 9: Killed';

/**
 * What a busy PostgreSQL server and a gRPC service print all day when nothing is wrong, every line
 * carrying a signature keyword: session-level `FATAL:` lines (wrong passwords, missing databases,
 * clients over the limit; elog.c's format) and request lines ending in the status code `Aborted`
 * (go-grpc-middleware's "finished unary call with code ..."), CRI-framed as on a node.
 */
function keywordLine() {
  const pg = `2024-05-01 10:${String(rand(60)).padStart(2, '0')}:${String(rand(60)).padStart(2, '0')}.${String(rand(1000)).padStart(3, '0')} UTC [${rand(90000)}]`;
  switch (rand(6)) {
    case 0:
    case 1:
      return `${pg} FATAL:  password authentication failed for user "${pick(['app', 'reader', 'postgres'])}"`;
    case 2:
      return `${pg} FATAL:  database "${pick(['app', 'orders', 'test'])}" does not exist`;
    case 3:
      return `${pg} FATAL:  sorry, too many clients already`;
    default:
      return `I0501 10:00:${String(rand(60)).padStart(2, '0')}.${String(rand(1e6)).padStart(6, '0')}       1 ${pick(GOFILES)}:${rand(900)}] finished unary call with code Aborted`;
  }
}

/**
 * Writes about `size` bytes where every line has a keyword and none is a crash, except one real
 * PostgreSQL crash line at 50% and one as the last line; resolves to their line numbers.
 */
export async function generateKeywordLog(path, size) {
  seed = 0x5bd1e995;
  const out = createWriteStream(path);
  let written = 0;
  let crashAt = Math.floor(size / 2);
  const crashLines = [];
  let block = [];
  let blockBytes = 0;
  const flush = async () => {
    const buf = Buffer.from(block.join(''));
    block = [];
    blockBytes = 0;
    if (!out.write(buf)) await new Promise((r) => out.once('drain', r));
  };
  const push = async (s) => {
    block.push(s + '\n');
    const n = Buffer.byteLength(s) + 1;
    blockBytes += n;
    written += n;
    if (blockBytes >= 4 << 20) await flush();
  };
  let line = 0;
  while (written < size) {
    line++;
    if (written >= crashAt) {
      crashAt = Infinity;
      await push(frame(PG_CRASH_TEXT, 'cri', line));
      crashLines.push(line);
      continue;
    }
    await push(frame(keywordLine(), 'cri', line));
  }
  line++;
  await push(frame(PG_CRASH_TEXT, 'cri', line));
  crashLines.push(line);
  await flush();
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
  return { bytes: written, lines: line, crashLines };
}
