import "server-only";
import { loadConfig, type Config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { getLogger } from "@/lib/log";
import { getAlertSource, withLocalFilter } from "@/lib/alerts";
import type { AlertSource } from "@/lib/alerts/types";
import type { ClusterReaders } from "@/lib/cluster/reader";
import { createKubeClusterReaders } from "@/lib/cluster/kube";
import { createDemoAlertSource } from "@/lib/demo/alerts";
import { createDemoClusterReaders } from "@/lib/demo/cluster";
import { createDemoVitals } from "@/lib/demo/vitals";
import { createPrometheusVitals, type VitalsSource } from "@/lib/prometheus/vitals";
import { createGeminiDiagnoser } from "@/lib/analysis/gemini";
import type { GeminiDiagnoser } from "@/lib/analysis/pipeline";
import { createIssueFiler, type IssueFiler } from "@/lib/github/filer";
import { createWorkflowDispatcher, type WorkflowDispatcher } from "@/lib/github/dispatch";
import { openStore, type Store } from "@/lib/store";
import type { Worker } from "@/lib/jobs/worker";
import type { JobHandlers } from "@/lib/jobs/kinds";
import type { JobQueue } from "@/lib/jobs/queue";
import { createJobBackend, type JobBackend } from "@/lib/jobs/backend";
import { schedulePeriodic } from "@/lib/jobs/schedule";
import { ProgressBus } from "@/lib/server/progress-bus";
import { createPgProgressBridge } from "@/lib/server/progress-bridge";
import { dialectOf } from "@/lib/store/dialect";
import { registerRevocationCheck } from "@/lib/auth/sessions";
import { registerRateLimitStore } from "@/lib/auth/rate-limit";
import type { Matcher } from "@/lib/alerts/matchers";
import type { Target } from "@/lib/alerts/types";
import type { WebhookEnvelope } from "@/lib/webhooks/schema";
import { startAnalysis, type AnalysisRequest } from "@/lib/triage/start-analysis";
import { runAnalysisJob } from "@/lib/triage/run-analysis";
import { intakeWebhook } from "@/lib/triage/intake-webhook";
import { fileIssue, issuePreview } from "@/lib/triage/file-issue";
import { resolveAlert } from "@/lib/triage/resolve-alert";
import { alertHistoryState, alertList, alertPageState, deepLinkState, recentlyResolved } from "@/lib/triage/page-data";
import { listDispatches, runDispatchJob } from "@/lib/triage/dispatch-workflow";
import { pruneStore } from "@/lib/triage/prune";
import { feedbackResolutions, pastIncidentsLookup, similarForIssue, similarIncidentsFor, type SimilarIncidentsDeps } from "@/lib/triage/similar-incidents";
import { accuracyReport, feedbackWanted, getFeedbackState, giveFeedback, postFeedbackComment } from "@/lib/triage/feedback";
import type { FeedbackInput } from "@/lib/feedback/types";

/** The use cases of lib/triage/, each bound to the dependencies it declares. */
export interface Triage {
  /** Start an analysis or join the running one (lib/triage/start-analysis.ts). */
  startAnalysis(req: AnalysisRequest): ReturnType<typeof startAnalysis>;
  /** Take a webhook notification as durable jobs (lib/triage/intake-webhook.ts). */
  intakeWebhook(envelope: WebhookEnvelope, requestId?: string): ReturnType<typeof intakeWebhook>;
  issuePreview(analysisId: string): ReturnType<typeof issuePreview>;
  fileIssue(analysisId: string, user: string): ReturnType<typeof fileIssue>;
  alertList(matchers: readonly Matcher[], signal?: AbortSignal): ReturnType<typeof alertList>;
  alertPageState(fingerprint: string, analyze: boolean): ReturnType<typeof alertPageState>;
  alertHistory(fingerprint: string): ReturnType<typeof alertHistoryState>;
  recentlyResolved(hours: number): ReturnType<typeof recentlyResolved>;
  deepLinkState(p: Target & { alertname?: string; analyze: boolean }): ReturnType<typeof deepLinkState>;
  listDispatches(limit?: number): ReturnType<typeof listDispatches>;
  /** Earlier incidents with an analysis's failure signature (lib/triage/similar-incidents.ts). */
  similarIncidents(analysisId: string): ReturnType<typeof similarIncidentsFor>;
  /** Record an engineer's feedback on an analysis (lib/triage/feedback.ts). */
  giveFeedback(analysisId: string, input: FeedbackInput, user: string): ReturnType<typeof giveFeedback>;
  getFeedback(analysisId: string): ReturnType<typeof getFeedbackState>;
  /** Whether the alert page asks for feedback (its latest episode resolved, its analysis has none). */
  feedbackWanted(history: Parameters<typeof feedbackWanted>[1], latestId: string | undefined): ReturnType<typeof feedbackWanted>;
  accuracy(since: string | undefined): ReturnType<typeof accuracyReport>;
}

/** Everything a request needs, built once per process from the configuration. */
export interface Services {
  config: Config;
  store: Store;
  alerts: AlertSource;
  readers: ClusterReaders;
  /** The metrics part's source: Prometheus, or the demo's series in demo mode. */
  vitals?: VitalsSource;
  gemini?: GeminiDiagnoser;
  /** Why Gemini is not used, when it is not. */
  geminiMissing?: string;
  filer: IssueFiler;
  /** Starts the GitHub analysis workflow (WEBHOOK_MODE=dispatch). */
  dispatcher: WorkflowDispatcher;
  bus: ProgressBus;
  /** Typed writes into the job queue; its kick wakes both workers. */
  queue: JobQueue;
  /** The use cases, composed here once. */
  triage: Triage;
  /** Both workers as one: kick after enqueueing, drain and stop in tests and at shutdown. */
  worker: Pick<Worker, "kick" | "stop" | "drain" | "running">;
  /** The job engine (store worker on SQLite, pg-boss on PostgreSQL): the queue panel's counts, lists and retry. */
  jobs: JobBackend;
  log: ReturnType<typeof getLogger>;
}

/** Parts a test (or an embedding) supplies instead of the ones the configuration would build. */
export type ServiceOverrides = Partial<Pick<Services, "store" | "alerts" | "readers" | "vitals" | "gemini" | "filer" | "dispatcher" | "log">>;

// Kept on globalThis: Next may load this module in several bundles of one server process.
const g = globalThis as typeof globalThis & { __triageServices?: Promise<Services> };

function need(backend: JobBackend | undefined): JobBackend {
  if (!backend) throw new AppError("unavailable", "The job queue is still starting.", { hint: "Try again in a moment." });
  return backend;
}

/** The process's services; the first call opens the store and starts the job worker (resuming jobs). */
export function getServices(): Promise<Services> {
  g.__triageServices ??= createServices(loadConfig()).catch((e: unknown) => {
    g.__triageServices = undefined;
    throw e;
  });
  return g.__triageServices;
}

/**
 * Build the services from a configuration: open the store (unless given), build each client, compose
 * the use cases and the job handlers, and start the two workers and the periodic prune. The caller owns
 * the result: `worker.stop()` and `store.close()` end it.
 * @throws AppError when the store cannot be opened or migrated.
 */
export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const log = overrides.log ?? getLogger();
  const store = overrides.store ?? (await openStore(config.databaseUrl, { poolSize: config.databasePoolSize }));
  registerRevocationCheck((sid) => store.isSessionRevoked(sid));
  registerRateLimitStore(store.db);
  const gemini = "gemini" in overrides ? overrides.gemini : config.gemini.apiKey ? createGeminiDiagnoser(config.gemini) : undefined;
  const alerts = overrides.alerts ?? (config.demo ? withLocalFilter(createDemoAlertSource()) : getAlertSource(config));
  const readers = overrides.readers ?? (config.demo ? createDemoClusterReaders() : createKubeClusterReaders(config.kube));
  // The demo's alerts carry a generatorURL of a Prometheus that does not exist: never query it; the demo serves its own series.
  const vitals = "vitals" in overrides ? overrides.vitals : config.demo ? createDemoVitals() : createPrometheusVitals(config.prometheus);
  const filer =
    overrides.filer ??
    createIssueFiler(config.github, {
      registry: store.issueRegistry(),
      log: { warn: (...a: unknown[]) => log.warn({ args: a }, "github"), info: (...a: unknown[]) => log.info({ args: a }, "github") },
    });
  const dispatcher = overrides.dispatcher ?? createWorkflowDispatcher(config.github, { log });
  // On PostgreSQL the bus crosses replicas (LISTEN/NOTIFY), so a browser on any replica follows any analysis.
  // pg is loaded only here and in lib/store/postgres.ts, so a SQLite console never loads it. The listening
  // connection has TCP keepalive, so a half-open connection after a failover is noticed and reconnected.
  const pg = dialectOf(store.db) === "postgres" ? (await import("pg")).default : undefined;
  const bridge = pg
    ? createPgProgressBridge({
        client: () =>
          new pg.Client({ connectionString: config.databaseUrl, application_name: "triage-progress", keepAlive: true, keepAliveInitialDelayMillis: 10_000, connectionTimeoutMillis: 10_000 }),
        db: store.db,
        read: (id) => store.getAnalysis(id),
        log,
      })
    : undefined;
  const bus = new ProgressBus(bridge);
  const jobs: { backend?: JobBackend } = {};
  const queue: JobQueue = {
    enqueue: (...a) => need(jobs.backend).queue.enqueue(...a),
    enqueueMany: (j) => need(jobs.backend).queue.enqueueMany(j),
    kick: () => jobs.backend?.kick(),
  };
  const geminiMissing = gemini ? undefined : "GEMINI_API_KEY is not set";
  const similar: SimilarIncidentsDeps = { store, filer, log, resolutions: feedbackResolutions(store) };
  const pastIncidents = pastIncidentsLookup(similar);
  const issueDeps = { store, filer, config, log, similar: similarForIssue(similar) };

  const feedbackDeps = { store, queue, filer, config, log };
  const handlers: JobHandlers = {
    analyze: (p, job) => runAnalysisJob({ store, queue, bus, readers, vitals, gemini, geminiMissing, pastIncidents, config, log }, p, job),
    file_issue: async (p) => void (await fileIssue(issueDeps, p.analysisId, p.user)),
    dispatch: (p, job) => runDispatchJob({ store, dispatcher, log }, p, job),
    resolve: (p) => resolveAlert({ store, filer, config }, p),
    prune: () => pruneStore({ store, config, log }),
    feedback_comment: (p, job) => postFeedbackComment(feedbackDeps, p, job),
  };
  const pages = { store, alerts, config };
  const triage: Triage = {
    startAnalysis: (req) => startAnalysis({ store, alerts, queue, log }, req),
    intakeWebhook: (envelope, requestId) => intakeWebhook({ store, queue, config, log }, envelope, requestId),
    issuePreview: (id) => issuePreview(issueDeps, id),
    fileIssue: (id, user) => fileIssue(issueDeps, id, user),
    alertList: (matchers, signal) => alertList(pages, matchers, signal),
    alertPageState: (fingerprint, analyze) => alertPageState(pages, fingerprint, analyze),
    deepLinkState: (p) => deepLinkState(pages, p),
    alertHistory: (fingerprint) => alertHistoryState({ store }, fingerprint),
    recentlyResolved: (hours) => recentlyResolved({ store }, hours),
    listDispatches: (limit) => listDispatches({ store, dispatcher }, limit),
    similarIncidents: (id) => similarIncidentsFor(similar, id),
    giveFeedback: (id, input, user) => giveFeedback(feedbackDeps, id, input, user),
    getFeedback: (id) => getFeedbackState({ store }, id),
    feedbackWanted: (history, latestId) => feedbackWanted({ store }, history, latestId),
    accuracy: (since) => accuracyReport({ store }, since),
  };

  // Analyses wait for Gemini, so they get their own group bounded by GEMINI_CONCURRENCY (across every
  // replica on PostgreSQL); resolutions, filings, workflow dispatches and pruning never queue behind them.
  const backend = await createJobBackend({
    store,
    handlers,
    log,
    databaseUrl: config.databaseUrl,
    groups: [
      { name: "analyze", kinds: ["analyze"], concurrency: config.gemini.concurrency, global: true },
      { name: "bookkeeping", kinds: ["resolve", "file_issue", "dispatch", "prune", "feedback_comment"], concurrency: 4 },
    ],
  });
  jobs.backend = backend;
  const pruning: { stop?: () => void } = {};
  const worker: Services["worker"] = {
    kick: queue.kick,
    stop: async (o) => {
      pruning.stop?.();
      await backend.stop(o);
    },
    drain: (o) => backend.drain(o),
    running: () => backend.running(),
  };
  const services: Services = { config, store, log, alerts, readers, vitals, gemini, geminiMissing, filer, dispatcher, bus, queue, triage, jobs: backend, worker };
  // Each start requeues only jobs whose worker died (a dead process's), never a live worker's, so the
  // two worker groups, and a second process on the same database, leave each other's jobs alone.
  await backend.start();
  // Retention: one prune job per interval across every process on the database, run by the bookkeeping group.
  pruning.stop = schedulePeriodic({ store, worker: backend, kind: "prune", intervalMs: config.retention.pruneIntervalMinutes * 60_000, log }).stop;
  log.info({ demo: config.demo, webhookMode: config.webhook.mode, gemini: !!gemini, github: services.filer.configured, alertmanagers: config.alertmanagers.length }, "console services started");
  return services;
}
