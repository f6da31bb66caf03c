import type { Config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import type { IssueFiler } from "@/lib/github/filer";
import type { PayloadOf } from "@/lib/jobs/kinds";
import type { Store } from "@/lib/store";
import { isZeroTime } from "@/lib/webhooks/schema";

export interface ResolveAlertDeps {
  store: Pick<Store, "markResolved" | "issueRegistry" | "findActiveAnalysis" | "listJobs" | "getAnalysis" | "markIssueClosed" | "addAudit">;
  filer: Pick<IssueFiler, "configured" | "commentOnIssue" | "closeIssue">;
  config: { policy: Pick<Config["policy"], "closeIssueOnResolve"> };
}

/**
 * Run one resolve job: mark the alert's analyses resolved, comment "resolved" on its issue, and close
 * the issue when CLOSE_ISSUE_ON_RESOLVE is on.
 * @throws AppError conflict (retried) while the alert's analysis or filing is still under way, and the filer's errors.
 */
export async function resolveAlert(d: ResolveAlertDeps, p: PayloadOf<"resolve">): Promise<void> {
  const at = isZeroTime(p.endsAt) ? new Date() : new Date(p.endsAt);
  await d.store.markResolved(p.fingerprint, at);
  const issue = await d.store.issueRegistry().getIssue(p.fingerprint);
  if (!issue && d.filer.configured && (await filingPending(d, p.fingerprint))) {
    // The alert resolved while its analysis or filing was still under way: retry so the issue gets its
    // "resolved" comment once it exists.
    throw new AppError("conflict", "The alert's analysis or issue filing is still running.", { retryAfterSeconds: 30 });
  }
  if (issue && d.filer.configured) {
    await d.filer.commentOnIssue(issue, `✅ The alert resolved at ${at.toISOString()}.\n\n<!-- triage:fingerprint=${p.fingerprint} -->`);
    if (d.config.policy.closeIssueOnResolve) await d.filer.closeIssue(issue).then(() => d.store.markIssueClosed(p.fingerprint, issue.number));
    await d.store.addAudit("alertmanager", "issue.resolved", p.fingerprint, { issue: issue.url });
  }
}

async function filingPending(d: ResolveAlertDeps, fingerprint: string): Promise<boolean> {
  if (await d.store.findActiveAnalysis(fingerprint)) return true;
  const jobs = [...(await d.store.listJobs({ kind: "file_issue", status: "queued", limit: 200 })), ...(await d.store.listJobs({ kind: "file_issue", status: "running", limit: 200 }))];
  for (const j of jobs) {
    const a = j.analysisId ? await d.store.getAnalysis(j.analysisId) : undefined;
    if (a?.fingerprint === fingerprint) return true;
  }
  return false;
}
