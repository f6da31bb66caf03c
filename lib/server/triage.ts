import "server-only";
import { createHash } from "node:crypto";
import { z } from "zod";
import type { Alert, Target } from "@/lib/alerts/types";
import { targetFromLabels } from "@/lib/alerts/types";
import { alertSnapshotSchema, snapshotFromAlert, snapshotFromTarget, targetFingerprint, type AlertSnapshot } from "@/lib/alerts/snapshot";
import type { EvidenceBundle } from "@/lib/cluster/bundle";
import { AppError, describeError } from "@/lib/errors";
import { runAnalysis, type ProgressEvent } from "@/lib/analysis/pipeline";
import { filingRefusal } from "@/lib/analysis/filing";
import type { ProgressMap } from "@/lib/analysis/api";
import type { IssuePreview } from "@/lib/github/api";
import { buildIssue } from "@/lib/github/issue";
import type { Analysis, Job, JobKind } from "@/lib/store";
import { getMetrics } from "@/lib/metrics";
import { decide } from "@/lib/webhooks/policy";
import { isZeroTime, validateWebhookAlert, type RejectedWebhookAlert, type WebhookAlert, type WebhookEnvelope } from "@/lib/webhooks/schema";
import type { Services } from "@/lib/server/services";
import { enqueueDispatches, runDispatchJob } from "@/lib/server/dispatch";

/** A deterministic UUID (version 8) from a key: the same webhook delivery always names the same analysis. */
export function uuidFromKey(key: string): string {
  const h = createHash("sha256").update(key).digest("hex").slice(0, 32).split("");
  h[12] = "8";
  h[16] = ((parseInt(h[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/** The fingerprint of a target that has no live alert; it lives with the alert snapshot. */
export { targetFingerprint };

export interface AnalysisRequest {
  fingerprint?: string;
  target?: Target & { alertname?: string };
  user: string;
  trigger: "manual" | "deeplink";
  /** The HTTP request's id, carried into every log line of the analysis. */
  requestId?: string;
}

/**
 * Start an analysis of a live alert (by fingerprint) or of a target; joins a queued or running one for
 * the same alert (a second click, a second engineer or a stale page's Re-analyze).
 * @throws AppError not_found (alert gone, no target), unprocessable (no namespace/pod labels).
 */
export async function requestAnalysis(s: Services, req: AnalysisRequest): Promise<{ id: string; joined: boolean }> {
  let alert: AlertSnapshot;
  let target: Target | undefined;
  let fingerprint: string;
  if (req.fingerprint) {
    const live = await findLiveAlert(s, req.fingerprint);
    if (live) {
      alert = snapshotFromAlert(live);
      target = targetFromLabels(live.labels);
      if (!target) {
        throw new AppError("unprocessable", `Alert ${live.labels.alertname ?? req.fingerprint} has no namespace and pod labels to analyze.`, {
          hint: "Analysis needs the pod: add namespace and pod labels to the alert rule.",
        });
      }
    } else {
      const last = await s.store.latestAnalysisByFingerprint(req.fingerprint);
      if (!last?.target || !last.alert) {
        throw new AppError("not_found", `No firing alert with fingerprint ${req.fingerprint}.`, {
          hint: "It may have resolved. Open /triage?namespace=…&pod=… to analyze the pod directly.",
        });
      }
      alert = last.alert;
      target = last.target;
    }
    fingerprint = req.fingerprint;
  } else if (req.target) {
    const { alertname: _alertname, ...t } = req.target;
    target = t;
    alert = snapshotFromTarget(req.target);
    fingerprint = targetFingerprint(t);
  } else {
    throw new AppError("unprocessable", "Give a fingerprint or a target (namespace and pod).");
  }

  const chosen = { target, alert };
  // Find-or-create under the fingerprint's lock: two engineers clicking at once must join one analysis.
  const started = await s.store.runExclusive(`analysis:${fingerprint}`, async () => {
    const active = await s.store.findActiveAnalysis(fingerprint);
    if (active) return { id: active.id, joined: true };
    // One that says running but whose job ended or whose worker died is settled, not joined.
    await s.store.settleStaleAnalyses(fingerprint);
    return { id: await createManualAnalysis(s, req, fingerprint, chosen.target, chosen.alert), joined: false };
  });
  if (!started.joined) s.worker.kick();
  return started;
}

async function createManualAnalysis(s: Services, req: AnalysisRequest, fingerprint: string, target: Target, alert: AlertSnapshot): Promise<string> {
  const analysis = await s.store.createAnalysis({
    fingerprint,
    ...storedNames(alert.labels),
    target,
    episode: alert.startsAt,
    alert,
    trigger: req.trigger,
    startedBy: req.user,
  });
  await s.store.enqueueJob({ kind: "analyze", dedupKey: `analyze:${analysis.id}`, analysisId: analysis.id, payload: { analysisId: analysis.id, file: false, requestId: req.requestId } });
  await s.store.addAudit(req.user, "analysis.started", fingerprint, { analysisId: analysis.id, trigger: req.trigger });
  s.log.info({ event: "analysis.started", analysisId: analysis.id, fingerprint, user: req.user, trigger: req.trigger }, "analysis requested");
  return analysis.id;
}

async function findLiveAlert(s: Services, fingerprint: string): Promise<Alert | undefined> {
  const { alerts } = await s.alerts.listAlerts();
  return alerts.find((a) => a.fingerprint === fingerprint);
}

const analyzePayload = z.object({ analysisId: z.string(), file: z.boolean().default(false), requestId: z.string().max(128).optional() });
const resolvePayload = z.object({ fingerprint: z.string(), endsAt: z.string() });
const filePayload = z.object({ analysisId: z.string(), user: z.string().default("webhook") });

/** The job handlers the worker runs; `get` returns the services once they exist. */
export function jobHandlers(get: () => Services): Partial<Record<JobKind, (job: Job) => Promise<void>>> {
  return {
    analyze: async (job) => runAnalyzeJob(get(), analyzePayload.parse(job.payload), job),
    file_issue: async (job) => {
      const p = filePayload.parse(job.payload);
      await fileIssueForAnalysis(get(), p.analysisId, p.user);
    },
    dispatch: async (job) => runDispatchJob(get(), job),
    resolve: async (job) => resolveAlert(get(), resolvePayload.parse(job.payload)),
  };
}

async function runAnalyzeJob(s: Services, p: z.infer<typeof analyzePayload>, job: Job): Promise<void> {
  const m = getMetrics();
  let analysis = await s.store.getAnalysis(p.analysisId);
  if (!analysis) {
    const created = await recreateFromJob(s, job, p.analysisId);
    if (!created) return;
    analysis = created;
  }
  if (analysis.status === "done") return;
  if (!analysis.target) {
    await s.store.updateAnalysis(analysis.id, { status: "failed", error: "The analysis has no target pod.", finishedAt: new Date() });
    return;
  }
  const log = s.log.child({ requestId: p.requestId ?? job.id, analysisId: analysis.id, fingerprint: analysis.fingerprint });
  const startedAt = new Date();
  const progress: ProgressMap = {};
  await s.store.updateAnalysis(analysis.id, { status: "running", startedAt, progress: {}, error: null });
  m.jobs.inc({ kind: "analyze", state: "running" });
  // Progress is stored for pages that open mid-run; writes are serialised and the newest snapshot wins.
  let pending: ProgressMap | undefined;
  let writing: Promise<void> | undefined;
  const persist = () => {
    writing ??= (async () => {
      while (pending) {
        const snapshot = pending;
        pending = undefined;
        await s.store.updateAnalysis(analysis.id, { progress: snapshot }).catch((err: unknown) => log.warn({ err: describeError(err) }, "progress write failed"));
      }
    })().finally(() => {
      writing = undefined;
      if (pending) persist();
    });
  };
  const onProgress = (e: ProgressEvent) => {
    progress[e.step] = { status: e.status, detail: e.detail };
    pending = { ...progress };
    s.bus.publish(analysis.id, { type: "progress", progress: { ...progress } });
    persist();
  };
  try {
    const result = await runAnalysis(
      { target: analysis.target, alert: analysis.alert ?? { labels: {}, annotations: {} } },
      {
        readers: s.readers,
        vitals: s.vitals,
        gemini: s.gemini,
        offlineReason: s.geminiMissing,
        budgetTokens: s.config.gemini.logBudgetTokens,
        tailLines: s.config.kube.tailLines,
        limitBytes: s.config.kube.limitBytes,
        timeoutMs: s.config.kube.timeoutMs,
      },
      { onProgress },
    );
    const r = result.report;
    await writing;
    await s.store.updateAnalysis(analysis.id, {
      status: "done",
      bundle: result.bundle,
      report: r,
      markdown: result.markdown,
      source: r.source,
      model: r.model,
      inputTokens: r.usage?.inputTokens ?? 0,
      outputTokens: r.usage?.outputTokens ?? 0,
      durationMs: Date.now() - startedAt.getTime(),
      timings: result.timings,
      progress: { ...progress },
      finishedAt: new Date(),
    });
    m.analysisDuration.observe({ source: r.source }, (Date.now() - startedAt.getTime()) / 1000);
    if (result.geminiOutcome !== "skipped") m.geminiCalls.inc({ outcome: result.geminiOutcome });
    if (r.usage) {
      m.geminiTokens.inc({ direction: "in" }, r.usage.inputTokens);
      m.geminiTokens.inc({ direction: "out" }, r.usage.outputTokens);
    }
    m.jobs.inc({ kind: "analyze", state: "done" });
    log.info({ event: "analysis.done", source: r.source, redactions: result.redactions, timings: result.timings }, "analysis finished");
    const refused = p.file ? filingRefusal(r) : undefined;
    if (refused) log.info({ event: "issue.refused", reason: refused }, "automatic filing refused");
    else if (p.file) {
      await s.store.enqueueJob({ kind: "file_issue", dedupKey: `file:${analysis.id}`, analysisId: analysis.id, payload: { analysisId: analysis.id, user: "webhook" } });
      s.worker.kick();
    }
  } catch (e) {
    m.jobs.inc({ kind: "analyze", state: "failed" });
    log.error({ err: describeError(e) }, "analysis failed");
    await writing;
    await s.store.updateAnalysis(analysis.id, { status: "failed", error: describeError(e).slice(0, 4000), progress: { ...progress }, finishedAt: new Date() });
  } finally {
    const final = await s.store.getAnalysis(analysis.id);
    s.bus.publish(analysis.id, { type: "done", status: final?.status ?? "failed" });
  }
}

/** Alert name and severity within the store's column limits: label values may be far longer (16 KiB). */
function storedNames(labels: Record<string, string>): { alertname?: string; severity?: string } {
  return { alertname: labels.alertname?.slice(0, 256), severity: labels.severity?.slice(0, 64) };
}

/** A webhook job whose analysis row was never written (the process died in between): write it now. */
async function recreateFromJob(s: Services, job: Job, analysisId: string): Promise<Analysis | undefined> {
  const parsed = z.object({ alert: alertSnapshotSchema.required({ fingerprint: true, startsAt: true }) }).safeParse(job.payload);
  if (!parsed.success) return undefined;
  const alert = parsed.data.alert;
  return s.store.createAnalysis({
    id: analysisId,
    fingerprint: alert.fingerprint,
    ...storedNames(alert.labels),
    target: targetFromLabels(alert.labels),
    episode: alert.startsAt,
    alert,
    trigger: "webhook",
    startedBy: "alertmanager",
  });
}

/** The issue that filing this analysis would create, whether or not GitHub is configured. */
export async function issuePreview(s: Services, id: string): Promise<IssuePreview> {
  const a = await getDoneAnalysis(s, id);
  const built = buildFor(s, a);
  const existing = await s.store.issueRegistry().getIssue(a.fingerprint);
  const refused = filingRefusal(a.report);
  return { ...built, configured: s.filer.configured, missing: s.filer.missing, repository: s.config.github.repository, existing, ...(refused ? { refused } : {}) };
}

function buildFor(s: Services, a: Analysis & { report: NonNullable<Analysis["report"]>; bundle: EvidenceBundle }) {
  return buildIssue({
    report: a.report,
    reportMarkdown: a.markdown ?? "",
    bundle: a.bundle,
    fingerprint: a.fingerprint,
    analysisUrl: `${s.config.consoleUrl}/analyses/${a.id}`,
  });
}

async function getDoneAnalysis(s: Services, id: string) {
  const a = await s.store.getAnalysis(id);
  if (!a) throw new AppError("not_found", `No analysis ${id}.`);
  if (a.status !== "done" || !a.report || !a.bundle) {
    throw new AppError("conflict", `Analysis ${id} is ${a.status}; only a finished analysis can be filed.`, { hint: "Wait for it to finish, or re-analyze." });
  }
  return { ...a, report: a.report, bundle: a.bundle };
}

/**
 * File the analysis as a GitHub issue, or comment on the open issue for the same alert. Serialised per
 * fingerprint through the store, so concurrent clicks and webhooks file one issue.
 * @throws AppError not_configured, or the filer's errors (token, repository, content, rate limit).
 */
export async function fileIssueForAnalysis(s: Services, id: string, user: string) {
  const a = await getDoneAnalysis(s, id);
  if (a.issueUrl && a.issueNumber) return { action: a.issueAction ?? "created", number: a.issueNumber, url: a.issueUrl };
  const refused = filingRefusal(a.report);
  if (refused) throw new AppError("conflict", refused, { hint: "Analyze one of the owner's current pods, or copy the report by hand if it still matters." });
  try {
    const filed = await s.filer.fileIncident(buildFor(s, a), a.fingerprint);
    await s.store.updateAnalysis(a.id, { issueNumber: filed.number, issueUrl: filed.url, issueAction: filed.action, filedBy: user, filedAt: new Date() });
    await s.store.addAudit(user, filed.action === "created" ? "issue.filed" : "issue.commented", a.fingerprint, { analysisId: a.id, issue: filed.url });
    getMetrics().issues.inc({ action: filed.action });
    s.log.info({ event: `issue.${filed.action}`, analysisId: a.id, issue: filed.url, user }, "GitHub issue filed");
    return filed;
  } catch (e) {
    getMetrics().issues.inc({ action: "failed" });
    throw e;
  }
}

async function resolveAlert(s: Services, p: z.infer<typeof resolvePayload>): Promise<void> {
  const at = isZeroTime(p.endsAt) ? new Date() : new Date(p.endsAt);
  await s.store.markResolved(p.fingerprint, at);
  const issue = await s.store.issueRegistry().getIssue(p.fingerprint);
  if (!issue && s.filer.configured && (await filingPending(s, p.fingerprint))) {
    // The alert resolved while its analysis or filing was still under way: retry so the issue gets its
    // "resolved" comment once it exists.
    throw new AppError("conflict", "The alert's analysis or issue filing is still running.", { retryAfterSeconds: 30 });
  }
  if (issue && s.filer.configured) {
    await s.filer.commentOnIssue(issue, `✅ The alert resolved at ${at.toISOString()}.\n\n<!-- triage:fingerprint=${p.fingerprint} -->`);
    if (s.config.policy.closeIssueOnResolve) await s.filer.closeIssue(issue).then(() => s.store.markIssueClosed(p.fingerprint, issue.number));
    await s.store.addAudit("alertmanager", "issue.resolved", p.fingerprint, { issue: issue.url });
  }
}

async function filingPending(s: Services, fingerprint: string): Promise<boolean> {
  if (await s.store.findActiveAnalysis(fingerprint)) return true;
  const jobs = [...(await s.store.listJobs({ kind: "file_issue", status: "queued", limit: 200 })), ...(await s.store.listJobs({ kind: "file_issue", status: "running", limit: 200 }))];
  for (const j of jobs) {
    const a = j.analysisId ? await s.store.getAnalysis(j.analysisId) : undefined;
    if (a?.fingerprint === fingerprint) return true;
  }
  return false;
}

export interface WebhookOutcome {
  queued: number;
  duplicates: number;
  resolved: number;
  skipped: { fingerprint: string; reason: string }[];
  /** Alerts refused one by one; the rest of the notification was taken. */
  rejected: RejectedWebhookAlert[];
}

/** Alerts validated and written per slice; between slices the event loop serves other requests. */
export const WEBHOOK_SLICE = 500;
/** Rejections of one notification recorded in the store (all are counted in metrics). */
const MAX_RECORDED_REJECTIONS = 1000;
/** Rejected webhook alerts the store keeps, newest first (the queue panel lists them). */
export const REJECTED_ALERTS_KEPT = 1000;

/** Let timers, sockets and other requests run: better-sqlite3 and zod never give the event loop a turn on their own. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Turn a webhook notification into durable jobs, per alert (not by the group's status). Each alert is
 * validated on its own: a bad one is recorded with its reason (queue panel, metrics) and the others are
 * stored. Big notifications go in slices of WEBHOOK_SLICE alerts, each slice's writes in one
 * transaction, yielding to the event loop between slices. A firing episode (fingerprint + startsAt) is
 * analyzed once; a repeat notification of the same episode is analyzed again only after
 * ANALYSIS_COOLDOWN_SECONDS; a new episode always is. Never analyzes inline.
 * @throws what the store throws (the webhook answers 5xx and Alertmanager resends; dedup keys absorb it).
 */
export async function acceptWebhook(s: Services, envelope: WebhookEnvelope, requestId?: string): Promise<WebhookOutcome> {
  const out: WebhookOutcome = { queued: 0, duplicates: 0, resolved: 0, skipped: [], rejected: [] };
  const now = Date.now();
  for (let i = 0; i < envelope.alerts.length; i += WEBHOOK_SLICE) {
    if (i > 0) await yieldToEventLoop();
    await acceptSlice(s, envelope.alerts.slice(i, i + WEBHOOK_SLICE), i, now, out, requestId);
  }
  if (out.rejected.length) {
    const m = getMetrics();
    for (const r of out.rejected) m.webhookAlertsRejected.inc({ reason: r.reasonCode });
    await s.store.recordRejectedAlerts(
      out.rejected.slice(0, MAX_RECORDED_REJECTIONS).map((r) => ({ receiver: envelope.receiver, requestId, fingerprint: r.fingerprint, labels: r.labels, reason: r.reason })),
      REJECTED_ALERTS_KEPT,
    );
    s.log.warn({ event: "webhook.rejected", requestId, receiver: envelope.receiver, rejected: out.rejected.length, first: out.rejected[0]?.reason }, "webhook alerts rejected");
  }
  if (out.queued || out.resolved) s.worker.kick();
  return out;
}

async function acceptSlice(s: Services, raw: readonly unknown[], offset: number, now: number, out: WebhookOutcome, requestId?: string): Promise<void> {
  const resolved: WebhookAlert[] = [];
  const firing: WebhookAlert[] = [];
  for (const [k, item] of raw.entries()) {
    const checked = validateWebhookAlert(item, offset + k);
    if (!checked.ok) {
      out.rejected.push(checked.rejected);
      continue;
    }
    const alert = checked.alert;
    if (alert.status === "resolved") {
      resolved.push(alert);
      continue;
    }
    const d = decide(alert, s.config.policy);
    if (d.analyze) firing.push(alert);
    else out.skipped.push({ fingerprint: alert.fingerprint, reason: d.reason ?? "policy" });
  }
  await acceptResolved(s, resolved, now, out);

  if (s.config.webhook.mode === "dispatch") {
    // The workflow analyzes in GitHub Actions: one dispatch per firing episode instead of an analysis.
    const d = await enqueueDispatches(s, firing, now, requestId);
    out.queued += d.queued;
    out.duplicates += d.duplicates;
    return;
  }

  const cooldownMs = s.config.policy.cooldownSeconds * 1000;
  const latest = cooldownMs > 0 && firing.length ? await s.store.latestAnalysesFor(firing.map((a) => a.fingerprint)) : new Map<string, { episode?: string; createdAt: string }>();
  const items = [];
  for (const alert of firing) {
    const episode = new Date(alert.startsAt).toISOString();
    let key = `webhook:${alert.fingerprint}:${alert.startsAt}`;
    if (cooldownMs > 0) {
      const last = latest.get(alert.fingerprint);
      if (last?.episode === episode && now - Date.parse(last.createdAt) < cooldownMs) {
        out.duplicates++;
        continue;
      }
      // Past the cooldown a still-firing episode is analyzed afresh; within one window a redelivery maps to the same key.
      key += `:${Math.floor(now / cooldownMs)}`;
    }
    const analysisId = uuidFromKey(key);
    const alertData = snapshotFromAlert(alert);
    items.push({
      job: { kind: "analyze" as const, dedupKey: key, analysisId, payload: { analysisId, file: decide(alert, s.config.policy).file, alert: alertData, requestId } },
      analysis: {
        id: analysisId,
        fingerprint: alert.fingerprint,
        ...storedNames(alert.labels),
        target: targetFromLabels(alert.labels),
        episode: alert.startsAt,
        alert: alertData,
        trigger: "webhook" as const,
        startedBy: "alertmanager",
      },
    });
  }
  const created = items.length ? await s.store.enqueueAnalyses(items) : new Set<string>();
  out.queued += created.size;
  out.duplicates += items.length - created.size;
}

/**
 * A resolve job only for alerts the console knows (an analysis or an issue): resolving any other has
 * nothing to mark, comment or close, and a storm of 10,000 resolutions would otherwise be 10,000 jobs.
 * Every valid resolution counts as resolved; a repeat of a known one is a duplicate (its job exists).
 */
async function acceptResolved(s: Services, resolved: readonly WebhookAlert[], now: number, out: WebhookOutcome): Promise<void> {
  if (!resolved.length) return;
  const known = await s.store.fingerprintsWithHistory(resolved.map((a) => a.fingerprint));
  const jobs = resolved
    .filter((a) => known.has(a.fingerprint))
    .map((alert) => ({
      kind: "resolve" as const,
      dedupKey: `resolve:${alert.fingerprint}:${alert.startsAt}`,
      maxAttempts: 20,
      payload: { fingerprint: alert.fingerprint, endsAt: alert.endsAt ?? new Date(now).toISOString() },
    }));
  const created = jobs.length ? await s.store.enqueueJobs(jobs) : new Set<string>();
  out.resolved += resolved.length - jobs.length + created.size;
  out.duplicates += jobs.length - created.size;
}

/**
 * What a deep link (/triage?alertname=&namespace=&pod=&cluster=&container=) opens: the matching live
 * alert or the bare target, its latest analysis, and whether to start one (analyze=1 with no recent one).
 */
export async function resolveDeepLink(s: Services, p: Target & { alertname?: string; analyze: boolean }) {
  const { alertname, analyze, ...target } = p;
  const { alerts } = await s.alerts.listAlerts();
  const live = alerts.find(
    (a) =>
      a.labels.namespace === target.namespace &&
      a.labels.pod === target.pod &&
      (!alertname || a.labels.alertname === alertname) &&
      (!target.cluster || !a.labels.cluster || a.labels.cluster === target.cluster),
  );
  const fingerprint = live?.fingerprint ?? targetFingerprint(target);
  const latest = await s.store.latestAnalysisByFingerprint(fingerprint);
  const recent = isRecent(s, latest?.createdAt, Date.now());
  const labels: Record<string, string> = live?.labels ?? snapshotFromTarget({ ...target, alertname }).labels;
  return { live: !!live, fingerprint, latestId: latest?.id, autoStart: analyze && !recent, labels };
}

/** What an alert's page shows: the live alert (if still firing), source errors, and its latest analysis. */
export async function alertPageState(s: Services, fingerprint: string, analyze: boolean) {
  const [list, latest] = await Promise.all([s.alerts.listAlerts(), s.store.latestAnalysisByFingerprint(fingerprint)]);
  const alert = list.alerts.find((a) => a.fingerprint === fingerprint);
  const readAt = Date.now();
  const recent = isRecent(s, latest?.createdAt, readAt);
  return { fingerprint, alert, errors: list.errors, readAt, latestId: latest?.id, autoStart: analyze && !!alert && !recent };
}

/** An analysis this young makes `analyze=1` links open it instead of starting another (at least 5 min). */
function isRecent(s: Services, createdAt: string | undefined, now: number): boolean {
  return !!createdAt && now - Date.parse(createdAt) < Math.max(s.config.policy.cooldownSeconds, 300) * 1000;
}
