import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The console's Prometheus metrics, one registry per process (kept on globalThis across Next bundles). */
function build() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "triage_" });
  return {
    registry,
    webhooks: new Counter({
      name: "triage_webhooks_received_total",
      help: "Alertmanager webhook requests by outcome",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    webhookAlertsRejected: new Counter({
      name: "triage_webhook_alerts_rejected_total",
      help: "Webhook alerts refused one by one (the rest of the notification was accepted), by field and zod issue code",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    jobs: new Counter({
      name: "triage_jobs_total",
      help: "Job state transitions by kind and state",
      labelNames: ["kind", "state"] as const,
      registers: [registry],
    }),
    analysisDuration: new Histogram({
      name: "triage_analysis_duration_seconds",
      help: "Time from start to finished report, by report source",
      labelNames: ["source"] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
      registers: [registry],
    }),
    geminiCalls: new Counter({
      name: "triage_gemini_calls_total",
      help: "Gemini diagnoses by outcome (ok, or the error kind)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    geminiTokens: new Counter({
      name: "triage_gemini_tokens_total",
      help: "Gemini tokens by direction",
      labelNames: ["direction"] as const,
      registers: [registry],
    }),
    issues: new Counter({
      name: "triage_github_issues_total",
      help: "GitHub filings by action (created, commented, failed)",
      labelNames: ["action"] as const,
      registers: [registry],
    }),
    feedback: new Counter({
      name: "triage_feedback_total",
      help: "Engineers' feedback on analyses by verdict (the confirmed hypothesis's rank 1, 2 or 3, or none) and report source (gemini, offline)",
      labelNames: ["verdict", "source"] as const,
      registers: [registry],
    }),
    feedbackComments: new Counter({
      name: "triage_feedback_comments_total",
      help: "Feedback comments on incident issues by outcome (posted, failed, no_issue, not_configured)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    storeWriteErrors: new Counter({
      name: "triage_store_write_errors_total",
      help: "Store operations refused by the disk, by SQLite code (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR)",
      labelNames: ["code"] as const,
      registers: [registry],
    }),
  };
}

type Metrics = ReturnType<typeof build>;
const g = globalThis as typeof globalThis & { __triageMetrics?: Metrics };

/** The process-wide metrics. */
export function getMetrics(): Metrics {
  g.__triageMetrics ??= build();
  return g.__triageMetrics;
}
