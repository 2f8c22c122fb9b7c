// `podmortem server`: the fleet store. Agents push their incidents to it; it serves the agent's read
// API over the whole fleet's history, kept in SQLite (one file) or PostgreSQL (shared by replicas).
import { Command, Option } from 'commander';
import type { AddressInfo } from 'node:net';
import { parseListen } from './agent.js';
import { UsageError } from './errors.js';
import { readToken } from './token.js';

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
no leader. Without --token-file the server accepts no pushes.`,
    )
    .addOption(
      new Option('--listen <host:port>', 'where the HTTP API and /metrics are served').default(
        '0.0.0.0:9714',
      ),
    )
    .addOption(
      new Option('--store <url>', 'sqlite:///PATH or postgres://USER:PASSWORD@HOST:PORT/DB').default(
        'sqlite:///var/lib/podmortem/server.db',
      ),
    )
    .addOption(new Option('--token-file <file>', 'the bearer token agents must present (a mounted Secret)'))
    .addHelpText(
      'after',
      `
Examples:
  podmortem server --store sqlite:///tmp/pm.db --listen 127.0.0.1:9714
  podmortem server --store "$DATABASE_URL" --token-file /etc/podmortem/token
  podmortem agent --server http://podmortem-server:9714 --token-file /etc/podmortem/token
  curl -s localhost:9714/api/v1/incidents?cause=kernel.pid_max | jq '.items[].node'

Stops cleanly on SIGTERM or SIGINT. Exit status: 0 after a clean stop, 1 for bad usage or a store
that cannot be opened (one line on standard error).`,
    )
    .action(async (opts: { listen: string; store: string; tokenFile?: string }) => {
      const listen = parseListen(opts.listen);
      const token = opts.tokenFile !== undefined ? readToken(opts.tokenFile) : undefined;
      const log = (l: string) => process.stderr.write(`podmortem server: ${l}\n`);
      const { openStore } = await import('../store/open.js');
      const { createFleetServer } = await import('../serve/fleet.js');
      let opened;
      try {
        opened = await openStore(opts.store);
      } catch (err) {
        throw new UsageError(err instanceof Error ? err.message : String(err));
      }
      const fleet = createFleetServer({ opened, token });
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
      if (token === undefined) log('no --token-file: pushes are refused (403); the read API is served.');
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
