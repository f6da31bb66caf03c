import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { PostableAlert } from "../test/helpers/alertmanager";

/** What global-setup started, for specs (also in process.env for the worker). */
export interface E2EState {
  baseUrl: string;
  alertmanagerUrl: string;
}

export const STATE_FILE = join(resolve(import.meta.dirname, ".."), ".tmp", "e2e.json");

/** The console and Alertmanager global-setup started. */
export function e2eState(): E2EState {
  if (process.env.E2E_BASE_URL && process.env.E2E_ALERTMANAGER_URL) {
    return { baseUrl: process.env.E2E_BASE_URL, alertmanagerUrl: process.env.E2E_ALERTMANAGER_URL };
  }
  const raw: unknown = JSON.parse(readFileSync(STATE_FILE, "utf8"));
  if (typeof raw === "object" && raw && "baseUrl" in raw && "alertmanagerUrl" in raw && typeof raw.baseUrl === "string" && typeof raw.alertmanagerUrl === "string") {
    return { baseUrl: raw.baseUrl, alertmanagerUrl: raw.alertmanagerUrl };
  }
  throw new Error(`${STATE_FILE} is not what e2e/global-setup.ts writes; run the suite through playwright test`);
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

/** The alerts the e2e Alertmanager holds: five rules over two clusters and three namespaces. */
export const e2eAlerts: PostableAlert[] = [
  { labels: { alertname: "ModelPodOOMKilled", severity: "critical", cluster: "prod", namespace: "ml-serving", pod: "bert-large-0", container: "server" }, annotations: { summary: "bert-large-0 was OOMKilled 3 times in 15m", runbook_url: "https://runbooks.example.com/oom" }, startsAt: minutesAgo(12) },
  { labels: { alertname: "ModelPodOOMKilled", severity: "critical", cluster: "prod", namespace: "ml-serving", pod: "bert-large-1", container: "server" }, annotations: { summary: "bert-large-1 was OOMKilled" }, startsAt: minutesAgo(9) },
  { labels: { alertname: "ModelPodNotRunning", severity: "critical", cluster: "dev", namespace: "ml-batch", pod: "etl-7f9c" }, annotations: { summary: "etl-7f9c stuck in ImagePullBackOff" }, startsAt: minutesAgo(45) },
  { labels: { alertname: "ModelPodFrequentRestarts", severity: "warning", cluster: "prod", namespace: "ml-serving", pod: "gpt-small-2" }, annotations: { summary: "gpt-small-2 restarted 6 times in 1h" }, startsAt: minutesAgo(130) },
  { labels: { alertname: "ModelHighCPUUsage", severity: "warning", cluster: "prod", namespace: "ml-experiments", pod: "tuner-3" }, annotations: { summary: "tuner-3 CPU at 97% of its limit" }, startsAt: minutesAgo(3) },
  { labels: { alertname: "ModelHighMemoryUsage", severity: "warning", cluster: "dev", namespace: "ml-experiments", pod: "notebook-1" }, annotations: { summary: "notebook-1 memory at 92% of its limit" }, startsAt: minutesAgo(30) },
];

/** The alert global-setup silences (it must show as suppressed). */
export const silencedPod = "notebook-1";
