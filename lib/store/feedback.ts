import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Selectable } from "kysely";
import { commentStatusSchema, type CommentStatus, type Feedback } from "@/lib/feedback/types";
import type { FeedbackCase } from "@/lib/feedback/accuracy";
import { dialectOf } from "@/lib/store/dialect";
import type { Database, FeedbackTable } from "@/lib/store/schema";

/**
 * The feedback table's statements (migration 009), portable SQL only. Every submission is a row; the
 * newest of an analysis has latest = 1, which the insert maintains in its transaction.
 */

type Db = Kysely<Database>;

const CHUNK = 500;

/** A feedback as the store records it (validated and redacted by lib/triage/feedback). */
export interface NewFeedback {
  analysisId: string;
  actor: string;
  rank: number | null;
  hypothesisTitle?: string;
  actualCause?: string;
  fix: string;
  category?: string;
  commentStatus: CommentStatus;
}

/** A latest feedback with what accuracy and the export need of its analysis. */
export interface FeedbackCaseRow extends FeedbackCase {
  analysisId: string;
  createdAt: string;
}

function toFeedback(r: Selectable<FeedbackTable>): Feedback {
  return {
    id: r.id,
    analysisId: r.analysis_id,
    actor: r.actor,
    createdAt: r.created_at,
    rank: r.verdict_rank === null ? null : Number(r.verdict_rank),
    ...(r.hypothesis_title !== null ? { hypothesisTitle: r.hypothesis_title } : {}),
    ...(r.actual_cause !== null ? { actualCause: r.actual_cause } : {}),
    fix: r.fix,
    ...(r.category !== null ? { category: r.category } : {}),
    comment: { status: commentStatusSchema.catch("failed").parse(r.comment_status), ...(r.comment_url !== null ? { url: r.comment_url } : {}) },
  };
}

/** Record a feedback as its analysis's latest; the earlier ones stay as history. */
export async function insertFeedback(db: Db, f: NewFeedback, now: string): Promise<Feedback> {
  return db.transaction().execute(async (trx) => {
    // PostgreSQL's read committed lets two submissions for one analysis (two engineers, two replicas) each
    // see no latest row to clear and both insert one; a per-analysis lock until commit serialises them.
    // SQLite runs one write transaction at a time already.
    if (dialectOf(trx) === "postgres") await sql`select pg_advisory_xact_lock(hashtextextended(${`triage:feedback:${f.analysisId}`}, 0))`.execute(trx);
    await trx.updateTable("feedback").set({ latest: 0 }).where("analysis_id", "=", f.analysisId).where("latest", "=", 1).execute();
    const row = await trx
      .insertInto("feedback")
      .values({
        id: randomUUID(),
        analysis_id: f.analysisId,
        actor: f.actor.slice(0, 256),
        created_at: now,
        verdict_rank: f.rank,
        hypothesis_title: f.hypothesisTitle?.slice(0, 300) ?? null,
        actual_cause: f.actualCause ?? null,
        fix: f.fix,
        category: f.category?.slice(0, 64) ?? null,
        latest: 1,
        comment_status: f.commentStatus,
        comment_url: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toFeedback(row);
  });
}

export async function getFeedback(db: Db, id: string): Promise<Feedback | undefined> {
  const row = await db.selectFrom("feedback").selectAll().where("id", "=", id.slice(0, 64)).executeTakeFirst();
  return row ? toFeedback(row) : undefined;
}

/** One analysis's feedback, newest first (the latest is the first). */
export async function feedbackHistory(db: Db, analysisId: string, limit = 50): Promise<Feedback[]> {
  const rows = await db
    .selectFrom("feedback")
    .selectAll()
    .where("analysis_id", "=", analysisId.slice(0, 64))
    .orderBy("latest", "desc")
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(Math.min(Math.max(Math.trunc(limit), 1), 500))
    .execute();
  return rows.map(toFeedback);
}

/** The latest feedback of each of these analyses that has one, one indexed query per 500 ids. */
export async function latestFeedbackFor(db: Db, analysisIds: readonly string[]): Promise<Map<string, Feedback>> {
  const unique = [...new Set(analysisIds.filter((id) => id.length > 0 && id.length <= 64))];
  const out = new Map<string, Feedback>();
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await db.selectFrom("feedback").selectAll().where("latest", "=", 1).where("analysis_id", "in", unique.slice(i, i + CHUNK)).execute();
    for (const r of rows) out.set(r.analysis_id, toFeedback(r));
  }
  return out;
}

/** Record what became of a feedback's issue comment. */
export async function setFeedbackComment(db: Db, id: string, status: CommentStatus, url?: string): Promise<void> {
  await db.updateTable("feedback").set({ comment_status: status, comment_url: url ?? null }).where("id", "=", id).execute();
}

/** The bounds of a period of analyses (by when the analysis was made). */
export interface CaseFilter {
  since?: string;
  until?: string;
}

/**
 * The latest feedback of every analysis made in the period, with the analysis's source: the cases
 * accuracy is computed over. One query, the few columns it needs.
 */
export async function feedbackCases(db: Db, filter: CaseFilter = {}): Promise<FeedbackCaseRow[]> {
  let q = db
    .selectFrom("feedback as f")
    .innerJoin("analyses as a", "a.id", "f.analysis_id")
    .select(["f.analysis_id", "f.verdict_rank", "f.category", "a.source", "a.created_at"])
    .where("f.latest", "=", 1);
  if (filter.since) q = q.where("a.created_at", ">=", filter.since);
  if (filter.until) q = q.where("a.created_at", "<", filter.until);
  const rows = await q.orderBy("a.created_at").orderBy("a.id").execute();
  return rows.map((r) => ({
    analysisId: r.analysis_id,
    createdAt: r.created_at,
    rank: r.verdict_rank === null ? null : Number(r.verdict_rank),
    ...(r.category !== null ? { category: r.category } : {}),
    ...(r.source === "gemini" || r.source === "offline" ? { source: r.source } : {}),
  }));
}

/**
 * One page of the analyses with feedback in the period, oldest first, after the (createdAt, id) cursor:
 * their ids and latest feedback. The export reads the analyses a page at a time.
 */
export async function feedbackCasePage(db: Db, filter: CaseFilter & { after?: { createdAt: string; id: string }; limit: number }): Promise<{ createdAt: string; feedback: Feedback }[]> {
  let q = db
    .selectFrom("feedback as f")
    .innerJoin("analyses as a", "a.id", "f.analysis_id")
    .selectAll("f")
    .select("a.created_at as analysis_created_at")
    .where("f.latest", "=", 1);
  if (filter.since) q = q.where("a.created_at", ">=", filter.since);
  if (filter.until) q = q.where("a.created_at", "<", filter.until);
  const after = filter.after;
  if (after) q = q.where((eb) => eb.or([eb("a.created_at", ">", after.createdAt), eb.and([eb("a.created_at", "=", after.createdAt), eb("a.id", ">", after.id)])]));
  const rows = await q.orderBy("a.created_at").orderBy("a.id").limit(Math.min(Math.max(Math.trunc(filter.limit), 1), 1000)).execute();
  return rows.map((r) => ({ createdAt: r.analysis_created_at, feedback: toFeedback(r) }));
}
