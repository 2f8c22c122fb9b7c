// The agent's Prometheus metrics (names are the contract): exits by namespace, owning workload,
// container, top cause, its verdict and the first signature (a workload, not a pod, to bound the
// cardinality across restarts); each node.limits entry's used and max; and the agent's own health.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LimitUsage } from '../evidence/types.js';
import type { IncidentItem } from '../store/types.js';
import { workloadOf } from '../store/workload.js';

export interface HealthSource {
  storeUp: () => boolean;
  storePending: () => number;
  backlog: () => number;
  dropped: () => number;
  sampled: () => number;
  sampleRoundSeconds: () => number;
  /** Containers read in full in the last sampling round, and runtime records read since start. */
  sampleFullReads?: () => number;
  runtimeRecordsRead?: () => number;
  runtimeConnected: () => boolean;
  eventsPending: () => number;
  /** Incidents waiting to be pushed to --server, and dropped from that queue (0 without --server). */
  pushPending?: () => number;
  pushDropped?: () => number;
}

export class AgentMetrics {
  readonly registry = new Registry();
  private readonly exits: Counter<'namespace' | 'workload' | 'container' | 'cause' | 'verdict' | 'signature'>;
  private readonly used: Gauge<'limit' | 'scope'>;
  private readonly max: Gauge<'limit' | 'scope'>;
  readonly latency: Histogram;
  /** Connections to the runtime made again after one was lost. */
  readonly runtimeReconnects: Counter;
  /** Failed connection attempts and broken exit streams. */
  readonly runtimeErrors: Counter;
  /** How long the last loss of the runtime lasted (0 until one happened). */
  readonly runtimeLastGap: Gauge;
  /** Kubernetes Events posted, failed attempts (retried) and Events dropped. */
  readonly events: Counter<'outcome'>;

  constructor(health: HealthSource) {
    const registers = [this.registry];
    this.exits = new Counter({
      name: 'podmortem_container_exits_total',
      help: 'Container exits diagnosed on this node, by owning workload, top cause, its verdict and the first signature.',
      labelNames: ['namespace', 'workload', 'container', 'cause', 'verdict', 'signature'],
      registers,
    });
    this.used = new Gauge({
      name: 'podmortem_limit_used',
      help: 'How much of a limit is used (one series per node.limits entry: limit id and scope as in the JSON report).',
      labelNames: ['limit', 'scope'],
      registers,
    });
    this.max = new Gauge({
      name: 'podmortem_limit_max',
      help: 'The limit itself (absent when unlimited).',
      labelNames: ['limit', 'scope'],
      registers,
    });
    this.latency = new Histogram({
      name: 'podmortem_agent_exit_to_verdict_seconds',
      help: "From a container's exit (the runtime's time) to its incident stored.",
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.runtimeReconnects = new Counter({
      name: 'podmortem_agent_runtime_reconnects_total',
      help: 'Times the agent connected to the container runtime again after losing it (a runtime restart).',
      registers,
    });
    this.runtimeErrors = new Counter({
      name: 'podmortem_agent_runtime_errors_total',
      help: 'Failed connections to the container runtime and broken exit-event streams.',
      registers,
    });
    this.runtimeLastGap = new Gauge({
      name: 'podmortem_agent_runtime_last_gap_seconds',
      help: "How long the last loss of the runtime's exit events lasted (exits of the gap are reconciled from its records).",
      registers,
    });
    this.events = new Counter({
      name: 'podmortem_agent_events_total',
      help: 'Kubernetes Events by outcome: posted, failed (an attempt that will be retried), dropped.',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['posted', 'failed', 'dropped']) this.events.inc({ outcome }, 0);
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('podmortem_agent_store_up', '1 when the incident database can be written.', () =>
      health.storeUp() ? 1 : 0,
    );
    gauge(
      'podmortem_agent_store_pending',
      'Incidents waiting in memory for the database.',
      health.storePending,
    );
    gauge('podmortem_agent_exit_backlog', 'Exits waiting to be diagnosed.', health.backlog);
    gauge(
      'podmortem_agent_exits_dropped',
      'Exits dropped because the backlog was full (since start).',
      health.dropped,
    );
    gauge('podmortem_agent_sampled_containers', 'Container samples held by the recorder.', health.sampled);
    gauge(
      'podmortem_agent_sample_round_seconds',
      'Duration of the last sampling round.',
      health.sampleRoundSeconds,
    );
    gauge(
      'podmortem_agent_sample_full_reads',
      'Containers whose process or cgroup chain was read in full in the last sampling round (the others had only their counters read).',
      () => health.sampleFullReads?.() ?? 0,
    );
    gauge(
      'podmortem_agent_runtime_records_read',
      'Runtime records (docker inspect, CRI container status) read since start: once per container and listed state, not per listing.',
      () => health.runtimeRecordsRead?.() ?? 0,
    );
    gauge('podmortem_agent_runtime_connected', "1 while the runtime's exit events are followed.", () =>
      health.runtimeConnected() ? 1 : 0,
    );
    gauge(
      'podmortem_agent_events_pending',
      'Kubernetes Events queued for the API server.',
      health.eventsPending,
    );
    gauge(
      'podmortem_agent_push_pending',
      'Incidents waiting to be pushed to the podmortem server (--server).',
      () => health.pushPending?.() ?? 0,
    );
    gauge(
      'podmortem_agent_push_dropped',
      'Incidents dropped from the push queue: full, or refused by the server as invalid (since start).',
      () => health.pushDropped?.() ?? 0,
    );
    collectDefaultMetrics({ register: this.registry, prefix: 'podmortem_agent_' });
  }

  countExit(item: IncidentItem): void {
    const top = item.causes[0];
    this.exits.inc({
      namespace: item.subject.namespace ?? '',
      workload: workloadOf(item.subject),
      container: item.subject.container ?? '',
      cause: top?.id ?? 'unknown',
      verdict: top?.verdict ?? 'none',
      signature: item.signatures[0]?.id ?? 'none',
    });
  }

  setLimits(limits: LimitUsage[]): void {
    this.used.reset();
    this.max.reset();
    for (const l of limits) {
      if (l.used !== null) this.used.set({ limit: l.id, scope: l.scope }, l.used);
      if (l.max !== null) this.max.set({ limit: l.id, scope: l.scope }, l.max);
    }
  }
}
