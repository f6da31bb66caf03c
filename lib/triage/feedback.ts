import type { Logger } from "pino";
import { redactText } from "@/lib/analysis/redact";
import type { Config } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { computeAccuracy, parseSince, type Accuracy } from "@/lib/feedback/accuracy";
import { feedbackCommentBody } from "@/lib/feedback/comment";
import type { CommentStatus, Feedback, FeedbackInput } from "@/lib/feedback/types";
import type { IssueFiler } from "@/lib/github/filer";
import type { PayloadOf } from "@/lib/jobs/kinds";
import type { JobQueue } from "@/lib/jobs/queue";
import { getMetrics } from "@/lib/metrics";
import type { Analysis, IssueRef, Job, Store } from "@/lib/store";
import type { AlertHistoryState } from "@/lib/triage/page-data";

export interface FeedbackDeps {
  store: Pick<Store, "getAnalysis" | "addFeedback" | "getFeedback" | "feedbackHistory" | "feedbackFor" | "setFeedbackComment" | "addAudit" | "issueFor">;
  queue: Pick<JobQueue, "enqueue" | "kick">;
  filer: Pick<IssueFiler, "configured" | "commentOnIssue">;
  config: Pick<Config, "consoleUrl">;
  log: Pick<Logger, "info" | "warn">;
}

/** An analysis's feedback: the latest (the one that counts) and every earlier one, newest first. */
export interface FeedbackState {
  feedback?: Feedback;
  history: Feedback[];
}

/** The incident's issue: the one this analysis was filed as, else the one its alert's registry holds. */
async function incidentIssue(d: Pick<FeedbackDeps, "store">, a: Analysis): Promise<IssueRef | undefined> {
  if (a.issueNumber && a.issueUrl) return { number: a.issueNumber, url: a.issueUrl };
  const issue = await d.store.issueFor(a.fingerprint);
  return issue ? { number: issue.number, url: issue.url } : undefined;
}

/** Free text an engineer typed, with secrets replaced before it is stored or posted to GitHub. */
function redacted(text: string | undefined): string | undefined {
  return text ? redactText(text).text : undefined;
}

/**
 * Record the engineer's feedback on a finished analysis: which hypothesis was right (or none, and the
 * actual cause) and what fixed it. Audited, counted, and posted as a comment on the incident's issue by
 * a durable feedback_comment job when there is an issue and GitHub is configured; otherwise stored with
 * the reason no comment was posted. A second feedback on the same analysis becomes its latest.
 * @throws AppError not_found (no analysis), conflict (not finished), unprocessable (rank beyond the report's hypotheses).
 */
export async function giveFeedback(d: FeedbackDeps, analysisId: string, input: FeedbackInput, user: string): Promise<FeedbackState> {
  const a = await d.store.getAnalysis(analysisId);
  if (!a) throw new AppError("not_found", `No analysis ${analysisId}.`, { hint: "Open the history at /analyses." });
  if (a.status !== "done" || !a.report) {
    throw new AppError("conflict", `Analysis ${analysisId} is ${a.status}; only a finished analysis can get feedback.`, { hint: "Wait for it to finish, or give feedback on the latest finished one." });
  }
  const hypotheses = a.report.hypotheses;
  const rank = input.rank;
  const confirmed = rank === null ? undefined : hypotheses[rank - 1];
  if (rank !== null && !confirmed) {
    throw new AppError("unprocessable", `The report has ${hypotheses.length} hypothes${hypotheses.length === 1 ? "is" : "es"}; there is no #${rank}.`, {
      hint: hypotheses.length ? `Choose 1 to ${Math.min(hypotheses.length, 3)}, or none and write the actual cause.` : "Choose none and write the actual cause.",
    });
  }
  const issue = await incidentIssue(d, a);
  const commentStatus: CommentStatus = !d.filer.configured ? "not_configured" : !issue ? "no_issue" : "pending";
  const feedback = await d.store.addFeedback({
    analysisId: a.id,
    actor: user,
    rank,
    hypothesisTitle: confirmed?.title,
    actualCause: redacted(input.actualCause),
    fix: redacted(input.fix) ?? "",
    category: confirmed ? confirmed.category : input.category,
    commentStatus,
  });
  await d.store.addAudit(user, "analysis.feedback", a.fingerprint, { analysisId: a.id, feedbackId: feedback.id, rank, category: feedback.category ?? null, comment: commentStatus });
  const metrics = getMetrics();
  metrics.feedback.inc({ verdict: rank === null ? "none" : String(rank), source: a.source ?? "unknown" });
  if (commentStatus === "pending") {
    await d.queue.enqueue("feedback_comment", { feedbackId: feedback.id }, { dedupKey: `feedback_comment:${feedback.id}`, analysisId: a.id, maxAttempts: 5 });
    d.queue.kick();
  } else {
    metrics.feedbackComments.inc({ outcome: commentStatus });
  }
  d.log.info({ event: "analysis.feedback", analysisId: a.id, feedbackId: feedback.id, rank, user, comment: commentStatus }, "feedback recorded");
  return { feedback, history: await d.store.feedbackHistory(a.id) };
}

/** An analysis's feedback, latest first. @throws AppError not_found when there is no such analysis. */
export async function getFeedbackState(d: Pick<FeedbackDeps, "store">, analysisId: string): Promise<FeedbackState> {
  const a = await d.store.getAnalysis(analysisId);
  if (!a) throw new AppError("not_found", `No analysis ${analysisId}.`, { hint: "Open the history at /analyses." });
  const history = await d.store.feedbackHistory(a.id);
  return { feedback: history[0], history };
}

/**
 * Run one feedback_comment job: post the feedback on the incident's issue and record the comment's URL.
 * A feedback already posted, or gone, is left alone; on the job's last attempt a failure is recorded so
 * the page stops saying "being posted".
 * @throws the filer's AppErrors (the worker retries with backoff).
 */
export async function postFeedbackComment(d: FeedbackDeps, p: PayloadOf<"feedback_comment">, job: Pick<Job, "attempts" | "maxAttempts">): Promise<void> {
  const f = await d.store.getFeedback(p.feedbackId);
  if (!f || f.comment.status === "posted") return;
  const a = await d.store.getAnalysis(f.analysisId);
  const issue = a ? await incidentIssue(d, a) : undefined;
  const metrics = getMetrics();
  if (!issue || !d.filer.configured) {
    const outcome: CommentStatus = issue ? "not_configured" : "no_issue";
    await d.store.setFeedbackComment(f.id, outcome);
    metrics.feedbackComments.inc({ outcome });
    return;
  }
  try {
    const c = await d.filer.commentOnIssue(issue, feedbackCommentBody(f, `${d.config.consoleUrl}/analyses/${f.analysisId}`));
    await d.store.setFeedbackComment(f.id, "posted", c.url);
    await d.store.addAudit(f.actor, "feedback.commented", a?.fingerprint ?? f.analysisId, { analysisId: f.analysisId, feedbackId: f.id, comment: c.url });
    metrics.feedbackComments.inc({ outcome: "posted" });
  } catch (e) {
    if (job.attempts >= job.maxAttempts) {
      await d.store.setFeedbackComment(f.id, "failed");
      metrics.feedbackComments.inc({ outcome: "failed" });
    }
    throw e;
  }
}

/**
 * Whether the alert page should ask for feedback: the alert's latest episode has resolved and its
 * latest analysis has none yet.
 */
export async function feedbackWanted(d: Pick<FeedbackDeps, "store">, history: Pick<AlertHistoryState, "episodes">, latestId: string | undefined): Promise<boolean> {
  if (!latestId || !history.episodes[0]?.resolvedAt) return false;
  return !(await d.store.feedbackFor([latestId])).has(latestId);
}

export interface AccuracyReport {
  /** The period in words: "the last 30d", "all time", "since 2026-01-31". */
  period: string;
  since?: string;
  accuracy: Accuracy;
}

/**
 * Top-1 and top-3 accuracy over the analyses made in the period that have feedback (the page and
 * `triage stats`).
 * @throws AppError unprocessable when `since` is not a period.
 */
export async function accuracyReport(d: { store: Pick<Store, "feedbackCases"> }, sinceText: string | undefined, now = Date.now()): Promise<AccuracyReport> {
  let since: Date | undefined;
  try {
    since = parseSince(sinceText, now);
  } catch (e) {
    throw new AppError("unprocessable", e instanceof Error ? e.message : "Invalid period.", { hint: "Write the period as 30d, 12h, 2w, all, or a date such as 2026-01-31." });
  }
  const text = (sinceText ?? "").trim();
  const period = !since ? "all time" : /^\d+[hdw]$/.test(text) ? `the last ${text}` : `since ${since.toISOString().slice(0, 10)}`;
  const cases = await d.store.feedbackCases({ since: since?.toISOString() });
  return { period, since: since?.toISOString(), accuracy: computeAccuracy(cases) };
}
