import "server-only";
import { loadConfig, type Config } from "@/lib/config";
import { getLogger } from "@/lib/log";
import { getAlertSource } from "@/lib/alerts";
import type { AlertSource } from "@/lib/alerts/types";
import type { ClusterReaders } from "@/lib/cluster/reader";
import { createKubeClusterReaders } from "@/lib/cluster/kube";
import { createDemoClusterReaders } from "@/lib/demo/cluster";
import { createDemoVitals } from "@/lib/demo/vitals";
import { createPrometheusVitals, type VitalsSource } from "@/lib/prometheus/vitals";
import { createGeminiDiagnoser } from "@/lib/analysis/gemini";
import type { GeminiDiagnoser } from "@/lib/analysis/pipeline";
import { createIssueFiler, type IssueFiler } from "@/lib/github/filer";
import { createWorkflowDispatcher, type WorkflowDispatcher } from "@/lib/github/dispatch";
import { openStore, type Store } from "@/lib/store";
import { createWorker, type JobHandler, type Worker } from "@/lib/jobs/worker";
import { schedulePeriodic } from "@/lib/jobs/schedule";
import { ProgressBus } from "@/lib/server/progress-bus";
import { jobHandlers } from "@/lib/server/triage";
import { registerRevocationCheck } from "@/lib/auth/sessions";

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
  /** Both workers as one: kick after enqueueing, drain and stop in tests and at shutdown. */
  worker: Pick<Worker, "kick" | "stop" | "drain" | "running">;
  /** The two workers: bookkeeping jobs, and analyses bounded by GEMINI_CONCURRENCY. */
  workers: Worker[];
  log: ReturnType<typeof getLogger>;
}

// Kept on globalThis: Next may load this module in several bundles of one server process.
const g = globalThis as typeof globalThis & { __triageServices?: Promise<Services> };

/** The process's services; the first call opens the store and starts the job worker (resuming jobs). */
export function getServices(): Promise<Services> {
  g.__triageServices ??= build().catch((e: unknown) => {
    g.__triageServices = undefined;
    throw e;
  });
  return g.__triageServices;
}

async function build(): Promise<Services> {
  const config = loadConfig();
  const log = getLogger();
  const store = await openStore(config.databaseUrl);
  registerRevocationCheck((sid) => store.isSessionRevoked(sid));
  const gemini = config.gemini.apiKey ? createGeminiDiagnoser(config.gemini) : undefined;
  const partial = {
    config,
    store,
    log,
    alerts: getAlertSource(config),
    readers: config.demo ? createDemoClusterReaders() : createKubeClusterReaders(config.kube),
    // The demo's alerts carry a generatorURL of a Prometheus that does not exist: never query it; the demo serves its own series.
    vitals: config.demo ? createDemoVitals() : createPrometheusVitals(config.prometheus),
    gemini,
    geminiMissing: gemini ? undefined : "GEMINI_API_KEY is not set",
    filer: createIssueFiler(config.github, {
      registry: store.issueRegistry(),
      log: { warn: (...a: unknown[]) => log.warn({ args: a }, "github"), info: (...a: unknown[]) => log.info({ args: a }, "github") },
    }),
    dispatcher: createWorkflowDispatcher(config.github, { log }),
    bus: new ProgressBus(),
  };
  const ref: { current?: Services } = {};
  const prune: JobHandler = async () => {
    const removed = await store.prune(config.retention);
    log.info({ event: "store.pruned", ...removed, retention: config.retention }, "pruned old analyses, jobs and audit entries");
  };
  const handlers = {
    ...jobHandlers(() => {
      if (!ref.current) throw new Error("services not ready");
      return ref.current;
    }),
    prune,
  };
  // Analyses wait for Gemini, so they get their own worker bounded by GEMINI_CONCURRENCY; resolutions,
  // filings, workflow dispatches and pruning never queue behind them.
  const analyses = createWorker({ store, concurrency: config.gemini.concurrency, handlers, kinds: ["analyze"], log });
  const bookkeeping = createWorker({ store, concurrency: 4, handlers, kinds: ["resolve", "file_issue", "dispatch", "prune"], log });
  const workers = [analyses, bookkeeping];
  const pruning: { stop?: () => void } = {};
  const worker: Services["worker"] = {
    kick: () => workers.forEach((w) => w.kick()),
    stop: async (o) => {
      pruning.stop?.();
      await Promise.all(workers.map((w) => w.stop(o)));
    },
    drain: async (o) => {
      await Promise.all(workers.map((w) => w.drain(o)));
    },
    running: () => workers.reduce((n, w) => n + w.running(), 0),
  };
  const services: Services = { ...partial, workers, worker };
  ref.current = services;
  // Each start requeues only jobs whose lease expired (a dead process's), never a live worker's, so the
  // two workers, and a second process on the same database, leave each other's jobs alone.
  await analyses.start();
  await bookkeeping.start();
  // Retention: one prune job per interval across every process on the database, run by the bookkeeping worker.
  pruning.stop = schedulePeriodic({ store, worker: bookkeeping, kind: "prune", intervalMs: config.retention.pruneIntervalMinutes * 60_000, log }).stop;
  log.info({ demo: config.demo, webhookMode: config.webhook.mode, gemini: !!gemini, github: services.filer.configured, alertmanagers: config.alertmanagers.length }, "console services started");
  return services;
}
