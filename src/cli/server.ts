// `podmortem server`: the fleet store. Agents push their incidents to it; it serves the agent's read
// API over the whole fleet's history, kept in SQLite (one file) or PostgreSQL (shared by replicas).
import { Command, Option } from 'commander';
import type { AddressInfo } from 'node:net';
import { parseListen } from './agent.js';
import { UsageError } from './errors.js';
import { readToken } from './token.js';
import type { Authenticate } from '../serve/auth.js';

export function serverCommand(): Command {
  return new Command('server')
    .summary('the fleet store: agents push their incidents to it; it serves them all over one API')
    .description(
      `Runs until stopped. Agents started with --server push each incident they record (POST
/api/v1/incidents with the bearer token of --token-file); storing is idempotent by incident id, so
retries and several replicas never store one exit twice. The server answers the agent's read API
over the whole fleet: GET /api/v1/incidents (filters namespace, workload, node, cause, verdict,
since, until, limit, cursor), /api/v1/incidents/{id}, /api/v1/nodes/{node}/limits, /metrics,
/healthz, /readyz, and the web UI at / (incidents with filters and a chart by cause, each
incident's page, /nodes/{node}, /workloads/{namespace}/{workload}).

--store sqlite:///PATH keeps the history in one file (one node or a small cluster);
--store postgres://... keeps it in PostgreSQL, which several replicas behind one Service share with
no leader.

Who may push: --token-file holds a token every agent presents (a Secret). With --auth tokenreview,
each agent presents its own ServiceAccount token instead (a projected token, with --token-audience
the audience it was projected for); the server asks the Kubernetes API (TokenReview, --kubeconfig
or in-cluster) whose it is, and accepts the ServiceAccounts of --allow-serviceaccount (default
podmortem/podmortem-agent). Reviews are cached for 60 s. A --token-file token is still accepted
beside it. Without either the server accepts no pushes.`,
    )
    .addOption(
      new Option('--listen <host:port>', 'where the HTTP API and /metrics are served').default(
        '0.0.0.0:9714',
      ),
    )
    .addOption(
      // PODMORTEM_STORE keeps a database password out of the process's command line (a Secret
      // mounted as an environment variable in deploy/server).
      new Option('--store <url>', 'sqlite:///PATH or postgres://USER:PASSWORD@HOST:PORT/DB')
        .env('PODMORTEM_STORE')
        .default('sqlite:///var/lib/podmortem/server.db'),
    )
    .addOption(new Option('--token-file <file>', 'the bearer token agents must present (a mounted Secret)'))
    .addOption(
      new Option(
        '--auth <mode>',
        "token: --token-file's token; tokenreview: also agents' ServiceAccount tokens",
      )
        .choices(['token', 'tokenreview'])
        .default('token'),
    )
    .addOption(
      new Option(
        '--allow-serviceaccount <namespace/name>',
        'with --auth tokenreview: a ServiceAccount that may push (repeatable; NAMESPACE/* for a whole namespace)',
      ).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
    )
    .addOption(
      new Option(
        '--token-audience <audience>',
        "with --auth tokenreview: the audience of the agents' projected tokens (default: the API server's own)",
      ),
    )
    .addOption(
      new Option(
        '--kubeconfig <file>',
        'with --auth tokenreview: the API server for TokenReview (default: in-cluster ServiceAccount, then $KUBECONFIG)',
      ),
    )
    .addHelpText(
      'after',
      `
Examples:
  podmortem server --store sqlite:///tmp/pm.db --listen 127.0.0.1:9714
  PODMORTEM_STORE="$DATABASE_URL" podmortem server --token-file /etc/podmortem/token   # URL kept out of ps
  podmortem agent --server http://podmortem-server:9714 --token-file /etc/podmortem/token
  podmortem server --store "$DATABASE_URL" --auth tokenreview --token-audience podmortem-server \\
    --allow-serviceaccount podmortem/podmortem-agent
  podmortem agent --server http://podmortem-server:9714 --token-file /var/run/secrets/podmortem/token
  curl -s localhost:9714/api/v1/incidents?cause=kernel.pid_max | jq '.items[].node'

Stops cleanly on SIGTERM or SIGINT. Exit status: 0 after a clean stop, 1 for bad usage or a store
that cannot be opened (one line on standard error).`,
    )
    .action(async (opts: ServerOpts) => {
      const listen = parseListen(opts.listen);
      const token = opts.tokenFile !== undefined ? readToken(opts.tokenFile) : undefined;
      const review = await reviewOf(opts);
      const log = (l: string) => process.stderr.write(`podmortem server: ${l}\n`);
      const { openStore } = await import('../store/open.js');
      const { createFleetServer } = await import('../serve/fleet.js');
      let opened;
      try {
        opened = await openStore(opts.store);
      } catch (err) {
        throw new UsageError(err instanceof Error ? err.message : String(err));
      }
      const fleet = createFleetServer({
        opened,
        token,
        ...(review ? { authenticate: review.authenticate } : {}),
      });
      const server = fleet.server;
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(listen.port, listen.host, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        await opened.store.close();
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE') throw new UsageError(`--listen ${opts.listen}: the address is in use.`);
        if (e.code === 'EACCES') throw new UsageError(`--listen ${opts.listen}: permission denied.`);
        throw new UsageError(e.message);
      }
      const addr = server.address() as AddressInfo;
      log(`serving on ${addr.address}:${addr.port}, history in ${opened.describe}.`);
      if (review) log(review.describe);
      else if (token === undefined) log('no --token-file: pushes are refused (403); the read API is served.');
      const prune = () =>
        void opened
          .prune()
          .then((n) => n > 0 && log(`retention: ${n} incidents deleted.`))
          .catch((err: unknown) => log(err instanceof Error ? err.message : String(err)));
      const pruning = setInterval(prune, 3600_000);
      prune();
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          log(`${sig}: stopping.`);
          clearInterval(pruning);
          fleet.stop();
          server.close(() => {
            void Promise.resolve(opened.store.close()).then(() => {
              resolve();
              process.exit(process.exitCode ?? 0);
            });
          });
          server.closeIdleConnections();
          // Requests in flight get a moment; a peer that holds a connection open does not stop us.
          setTimeout(() => server.closeAllConnections(), 2000).unref();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}

interface ServerOpts {
  listen: string;
  store: string;
  tokenFile?: string;
  auth: 'token' | 'tokenreview';
  allowServiceaccount?: string[];
  tokenAudience?: string;
  kubeconfig?: string;
}

/** --auth tokenreview's authenticator, or undefined; one sentence for flags that do not fit. */
async function reviewOf(
  opts: ServerOpts,
): Promise<{ authenticate: Authenticate; describe: string } | undefined> {
  if (opts.auth !== 'tokenreview') {
    for (const flag of ['allowServiceaccount', 'tokenAudience', 'kubeconfig'] as const)
      if (opts[flag] !== undefined)
        throw new UsageError(
          `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is for --auth tokenreview.`,
        );
    return undefined;
  }
  // Loaded only in this mode: the Kubernetes client is not needed otherwise.
  const { DEFAULT_ALLOWED, parseAllowed, reviewConfig, tokenReview } = await import('../serve/auth.js');
  let allowed = DEFAULT_ALLOWED;
  try {
    if (opts.allowServiceaccount) allowed = parseAllowed(opts.allowServiceaccount);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (allowed.length === 0) throw new UsageError('--allow-serviceaccount names no ServiceAccount.');
  if (opts.tokenAudience !== undefined && !/^\S{1,253}$/.test(opts.tokenAudience))
    throw new UsageError(`--token-audience ${opts.tokenAudience}: an audience is one word.`);
  let cfg;
  try {
    cfg = reviewConfig(opts.kubeconfig);
  } catch (err) {
    throw new UsageError(`--auth tokenreview: ${(err as Error).message}`);
  }
  if (!cfg)
    throw new UsageError(
      '--auth tokenreview needs the Kubernetes API: run in a pod with a ServiceAccount, or pass --kubeconfig FILE.',
    );
  const authenticate = tokenReview({
    kc: cfg.kc,
    allowed,
    ...(opts.tokenAudience !== undefined ? { audience: opts.tokenAudience } : {}),
  });
  return {
    authenticate,
    describe: `pushes are verified by TokenReview through ${cfg.from}${opts.tokenAudience !== undefined ? ` (audience ${opts.tokenAudience})` : ''}, allowed: ${allowed.join(', ')}${opts.tokenFile !== undefined ? '; the --token-file token is accepted too' : ''}.`,
  };
}
