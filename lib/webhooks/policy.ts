import type { Config } from "@/lib/config";
import { targetFromLabels } from "@/lib/alerts/types";
import type { WebhookAlert } from "@/lib/webhooks/schema";

/** The five alerts the console is built for. */
export const MODEL_ALERTS = [
  "ModelPodNotRunning",
  "ModelPodFrequentRestarts",
  "ModelPodOOMKilled",
  "ModelHighCPUUsage",
  "ModelHighMemoryUsage",
] as const;

export interface AlertDecision {
  analyze: boolean;
  file: boolean;
  /** Why not, when analyze is false (shown in logs and the webhook's answer). */
  reason?: string;
}

/**
 * Decide what to do with one firing alert from a webhook: analyze it automatically (the five Model*
 * alerts, or any alert with namespace and pod labels, within the severity filter), and file an issue
 * for the severities in AUTO_FILE_SEVERITIES.
 */
export function decide(alert: WebhookAlert, policy: Config["policy"]): AlertDecision {
  const name = alert.labels.alertname ?? "";
  const severity = (alert.labels.severity ?? "").toLowerCase();
  if (!policy.autoAnalyze) return { analyze: false, file: false, reason: "AUTO_ANALYZE is off" };
  if (!targetFromLabels(alert.labels)) {
    return { analyze: false, file: false, reason: "the alert has no valid namespace and pod labels" };
  }
  const wanted = policy.analyzeAlerts.length ? policy.analyzeAlerts : undefined;
  if (wanted && !wanted.includes(name)) return { analyze: false, file: false, reason: `alertname ${name} is not in AUTO_ANALYZE_ALERTS` };
  if (policy.analyzeSeverities.length && !policy.analyzeSeverities.includes(severity)) {
    return { analyze: false, file: false, reason: `severity "${severity}" is not in AUTO_ANALYZE_SEVERITIES` };
  }
  return { analyze: true, file: policy.fileSeverities.includes(severity) };
}
