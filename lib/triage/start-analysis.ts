import type { Logger } from "pino";
import type { Alert, AlertSource, Target } from "@/lib/alerts/types";
import { targetFromLabels } from "@/lib/alerts/types";
import { snapshotFromAlert, snapshotFromTarget, targetFingerprint, type AlertSnapshot } from "@/lib/alerts/snapshot";
import { AppError } from "@/lib/errors";
import type { JobQueue } from "@/lib/jobs/queue";
import type { Store } from "@/lib/store";
import { createAnalyses } from "@/lib/triage/create-analysis";

export interface StartAnalysisDeps {
  store: Pick<Store, "runExclusive" | "findActiveAnalysis" | "settleStaleAnalyses" | "latestAnalysisByFingerprint" | "enqueueAnalyses" | "addAudit">;
  alerts: Pick<AlertSource, "listAlerts">;
  queue: Pick<JobQueue, "kick">;
  log: Pick<Logger, "info">;
}

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
export async function startAnalysis(d: StartAnalysisDeps, req: AnalysisRequest): Promise<{ id: string; joined: boolean }> {
  const { fingerprint, target, alert } = await chooseSubject(d, req);
  // Find-or-create under the fingerprint's lock: two engineers clicking at once must join one analysis.
  const started = await d.store.runExclusive(`analysis:${fingerprint}`, async () => {
    const active = await d.store.findActiveAnalysis(fingerprint);
    if (active) return { id: active.id, joined: true };
    // One that says running but whose job ended or whose worker died is settled, not joined.
    await d.store.settleStaleAnalyses(fingerprint);
    return { id: await create(d, req, fingerprint, target, alert), joined: false };
  });
  if (!started.joined) d.queue.kick();
  return started;
}

/** The alert (live, or as its last analysis saw it) or the bare target the request names. */
async function chooseSubject(d: StartAnalysisDeps, req: AnalysisRequest): Promise<{ fingerprint: string; target: Target; alert: AlertSnapshot }> {
  if (req.fingerprint) {
    const live = await findLiveAlert(d, req.fingerprint);
    if (live) {
      const target = targetFromLabels(live.labels);
      if (!target) {
        throw new AppError("unprocessable", `Alert ${live.labels.alertname ?? req.fingerprint} has no namespace and pod labels to analyze.`, {
          hint: "Analysis needs the pod: add namespace and pod labels to the alert rule.",
        });
      }
      return { fingerprint: req.fingerprint, target, alert: snapshotFromAlert(live) };
    }
    const last = await d.store.latestAnalysisByFingerprint(req.fingerprint);
    if (!last?.target || !last.alert) {
      throw new AppError("not_found", `No firing alert with fingerprint ${req.fingerprint}.`, {
        hint: "It may have resolved. Open /triage?namespace=…&pod=… to analyze the pod directly.",
      });
    }
    return { fingerprint: req.fingerprint, target: last.target, alert: last.alert };
  }
  if (req.target) {
    const { alertname: _alertname, ...target } = req.target;
    return { fingerprint: targetFingerprint(target), target, alert: snapshotFromTarget(req.target) };
  }
  throw new AppError("unprocessable", "Give a fingerprint or a target (namespace and pod).");
}

async function create(d: StartAnalysisDeps, req: AnalysisRequest, fingerprint: string, target: Target, alert: AlertSnapshot): Promise<string> {
  const [id] = await createAnalyses(d.store, [
    { seed: { fingerprint, target, alert, trigger: req.trigger, startedBy: req.user }, job: { file: false, requestId: req.requestId } },
  ]);
  if (!id) throw new AppError("conflict", "The analysis could not be queued: its job exists already.", { hint: "Try again." });
  await d.store.addAudit(req.user, "analysis.started", fingerprint, { analysisId: id, trigger: req.trigger });
  d.log.info({ event: "analysis.started", analysisId: id, fingerprint, user: req.user, trigger: req.trigger }, "analysis requested");
  return id;
}

async function findLiveAlert(d: StartAnalysisDeps, fingerprint: string): Promise<Alert | undefined> {
  const { alerts } = await d.alerts.listAlerts();
  return alerts.find((a) => a.fingerprint === fingerprint);
}
