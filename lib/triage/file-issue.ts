import { filingRefusal } from "@/lib/analysis/filing";
import type { Logger } from "pino";
import type { Config } from "@/lib/config";
import type { EvidenceBundle } from "@/lib/cluster/bundle";
import { AppError } from "@/lib/errors";
import type { IssuePreview } from "@/lib/github/api";
import type { IssueFiler } from "@/lib/github/filer";
import { buildIssue } from "@/lib/github/issue";
import { getMetrics } from "@/lib/metrics";
import type { Analysis, Store } from "@/lib/store";
import type { SimilarIncident } from "@/lib/analysis/similar";

export interface FileIssueDeps {
  store: Pick<Store, "getAnalysis" | "updateAnalysis" | "addAudit" | "issueRegistry">;
  filer: IssueFiler;
  config: Pick<Config, "consoleUrl"> & { github: Pick<Config["github"], "repository"> };
  log: Pick<Logger, "info">;
  /** Earlier incidents with the analysis's failure signature, linked from the body (lib/triage/similar-incidents); none when absent. */
  similar?: (analysisId: string) => Promise<SimilarIncident[]>;
}

type DoneAnalysis = Analysis & { report: NonNullable<Analysis["report"]>; bundle: EvidenceBundle };

/**
 * The issue that filing this analysis would create, whether or not GitHub is configured.
 * @throws AppError not_found (no such analysis), conflict (not finished).
 */
export async function issuePreview(d: FileIssueDeps, id: string): Promise<IssuePreview> {
  const a = await getDoneAnalysis(d, id);
  const built = await buildFor(d, a);
  const existing = await d.store.issueRegistry().getIssue(a.fingerprint);
  const refused = filingRefusal(a.report);
  return { ...built, configured: d.filer.configured, missing: d.filer.missing, repository: d.config.github.repository, existing, ...(refused ? { refused } : {}) };
}

/**
 * File the analysis as a GitHub issue, or comment on the open issue for the same alert. Serialised per
 * fingerprint through the store, so concurrent clicks and webhooks file one issue.
 * @throws AppError not_found, conflict, not_configured, or the filer's errors (token, repository, content, rate limit).
 */
export async function fileIssue(d: FileIssueDeps, id: string, user: string) {
  const a = await getDoneAnalysis(d, id);
  if (a.issueUrl && a.issueNumber) return { action: a.issueAction ?? "created", number: a.issueNumber, url: a.issueUrl };
  const refused = filingRefusal(a.report);
  if (refused) throw new AppError("conflict", refused, { hint: "Analyze one of the owner's current pods, or copy the report by hand if it still matters." });
  try {
    const filed = await d.filer.fileIncident(await buildFor(d, a), a.fingerprint);
    await d.store.updateAnalysis(a.id, { issueNumber: filed.number, issueUrl: filed.url, issueAction: filed.action, filedBy: user, filedAt: new Date() });
    await d.store.addAudit(user, filed.action === "created" ? "issue.filed" : "issue.commented", a.fingerprint, { analysisId: a.id, issue: filed.url });
    getMetrics().issues.inc({ action: filed.action });
    d.log.info({ event: `issue.${filed.action}`, analysisId: a.id, issue: filed.url, user }, "GitHub issue filed");
    return filed;
  } catch (e) {
    getMetrics().issues.inc({ action: "failed" });
    throw e;
  }
}

async function buildFor(d: FileIssueDeps, a: DoneAnalysis) {
  const analysisUrl = (id: string) => `${d.config.consoleUrl}/analyses/${encodeURIComponent(id)}`;
  const similar = d.similar ? await d.similar(a.id) : [];
  return buildIssue({
    report: a.report,
    reportMarkdown: a.markdown ?? "",
    bundle: a.bundle,
    fingerprint: a.fingerprint,
    analysisUrl: analysisUrl(a.id),
    seenBefore: similar.map((s) => ({ ...s, analysisUrl: analysisUrl(s.analysisId) })),
  });
}

async function getDoneAnalysis(d: FileIssueDeps, id: string): Promise<DoneAnalysis> {
  const a = await d.store.getAnalysis(id);
  if (!a) throw new AppError("not_found", `No analysis ${id}.`);
  if (a.status !== "done" || !a.report || !a.bundle) {
    throw new AppError("conflict", `Analysis ${id} is ${a.status}; only a finished analysis can be filed.`, { hint: "Wait for it to finish, or re-analyze." });
  }
  return { ...a, report: a.report, bundle: a.bundle };
}
