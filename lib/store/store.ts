import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import SqliteDatabase from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect, sql, type ExpressionBuilder, type Insertable, type RawBuilder, type Selectable, type Updateable } from "kysely";
import { z } from "zod";
import { targetSchema } from "@/lib/alerts/types";
import { evidenceBundleSchema } from "@/lib/cluster/bundle";
import { likelihoodSchema, reportSchema } from "@/lib/analysis/types";
import { issueStateSchema, signaturePartsSchema } from "@/lib/analysis/similar";
import { AppError, describeError, isAppError } from "@/lib/errors";
import { AdvisoryLocks, KeyedMutex, LeaseLocks, type LockOptions } from "@/lib/store/locks";
import { parseDatabaseUrl, redactDatabaseUrl } from "@/lib/store/database-url";
import { dialectOf, type Dialect } from "@/lib/store/dialect";
import { createLocksTable, knownMigrations, migrationProvider } from "@/lib/store/migrations";
import { HIT_START, RECENCY_DAYS, parseSearchQuery, splitHighlights, toFts5Query, toTsQuery } from "@/lib/store/search";
import { guardedDatabase } from "@/lib/store/sqlite";
import { feedbackCasePage, feedbackCases, feedbackHistory, getFeedback, insertFeedback, latestFeedbackFor, setFeedbackComment, type CaseFilter, type FeedbackCaseRow, type NewFeedback } from "@/lib/store/feedback";
import type { CommentStatus, Feedback } from "@/lib/feedback/types";
import { withStatementCache } from "@/lib/store/statement-cache";
import {
  analysisAlertSchema,
  analysisPatchSchema,
  analysisStatusSchema,
  analysisTriggerSchema,
  issueActionSchema,
  jobKindSchema,
  jobStatusSchema,
  listAnalysesSchema,
  newAnalysisSchema,
  newJobSchema,
  newRejectedAlertSchema,
  progressSchema,
  searchAnalysesSchema,
  timingsSchema,
  type Analysis,
  type AnalysisPage,
  type AnalysisStatus,
  type AnalysisPatch,
  type AnalysisSummary,
  type AlertHistoryEntry,
  type AuditEntry,
  type CachedIssueState,
  type IssueRef,
  type Job,
  type JobCounts,
  type JobKind,
  type JobStatus,
  type ListAnalysesFilter,
  type NewAlertHistory,
  type NewAnalysis,
  type NewJob,
  type NewRejectedAlert,
  type RejectedAlert,
  type PruneResult,
  type RetentionPolicy,
  type SimilarAnalysis,
  type SearchAnalysesFilter,
  type SearchHit,
  type SearchPage,
} from "@/lib/store/models";
import type { AnalysesTable, Database, JobsTable } from "@/lib/store/schema";

type Db = Kysely<Database>;

export interface StoreOptions {
  /** The clock, for tests that need to move time (lock expiry, backoff). */
  now?: () => Date;
  /** SQLite busy_timeout: how long a write waits for another process's write. */
  busyTimeoutMs?: number;
  /** How long checkWritable() answers from its last probe (default 1500 ms). */
  probeCacheMs?: number;
  /** PostgreSQL: connections in the pool (DATABASE_POOL_SIZE, default 10). */
  poolSize?: number;
  /** PostgreSQL: the server cancels a statement running longer than this (default 30 s). */
  statementTimeoutMs?: number;
  /** PostgreSQL: how long to wait for a connection before the store reports the server unreachable (default 10 s). */
  connectTimeoutMs?: number;
}

/** The issue registry lib/github's filer uses: one issue per fingerprint, filing serialised per fingerprint. */
export interface IssueRegistry {
  runExclusive<T>(fingerprint: string, fn: () => Promise<T>): Promise<T>;
  getIssue(fingerprint: string): Promise<IssueRef | undefined>;
  saveIssue(fingerprint: string, issue: IssueRef): Promise<void>;
}

const SUMMARY_COLUMNS = [
  "id",
  "fingerprint",
  "alertname",
  "severity",
  "episode",
  "target_json",
  "status",
  "trigger",
  "started_by",
  "source",
  "model",
  "input_tokens",
  "output_tokens",
  "duration_ms",
  "top_hypothesis",
  "top_likelihood",
  "progress_json",
  "error",
  "issue_number",
  "issue_url",
  "issue_action",
  "filed_by",
  "filed_at",
  "resolved_at",
  "created_at",
  "started_at",
  "finished_at",
] as const satisfies readonly (keyof AnalysesTable)[];

type SummaryRow = Pick<Selectable<AnalysesTable>, (typeof SUMMARY_COLUMNS)[number]>;
type JobRow = Selectable<JobsTable>;

const FINGERPRINT_CHUNK = 500;
const MAX_BACKOFF_MS = 5 * 60_000;
const ID_CHUNK = 500;
const ACTIVE_ANALYSIS: readonly AnalysisStatus[] = ["queued", "running"];
const DAY_MS = 86_400_000;
/** The readiness probe writes this much, so a store that cannot grow by it is not ready. */
const PROBE_PAD = "x".repeat(16 * 1024);

const yieldToEventLoop = () => new Promise<void>((r) => setImmediate(r));

/** How long a claim holds when the caller does not say; a worker renews its leases well before they end. */
export const DEFAULT_LEASE_MS = 30_000;

/** A job row's part that decides what its end means for its analysis. */
type JobOutcomeRow = Pick<JobRow, "kind" | "analysis_id">;

function leaseMsOf(leaseMs: number | undefined): number {
  return Math.min(Math.max(Math.trunc(leaseMs ?? DEFAULT_LEASE_MS), 1), 24 * 3600_000);
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);
const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** Rows written by an older schema read as absent rather than breaking the page that lists them. */
function parseJson<S extends z.ZodType>(schema: S, text: string | null): z.infer<S> | undefined {
  if (text === null) return undefined;
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function validate<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const r = schema.safeParse(data);
  if (!r.success) {
    const first = r.error.issues[0];
    const field = first?.path.length ? first.path.join(".") : what;
    throw new AppError("unprocessable", `Invalid ${what} ${field}: ${first?.message ?? "wrong shape"}.`);
  }
  return r.data;
}

function toHistoryEntry(r: Selectable<Database["alert_history"]>): AlertHistoryEntry {
  return {
    fingerprint: r.fingerprint,
    startsAt: r.starts_at,
    status: r.status === "resolved" ? "resolved" : "firing",
    endsAt: opt(r.ends_at),
    receivedAt: r.received_at,
    labels: parseJson(z.record(z.string(), z.string()), r.labels_json) ?? {},
  };
}

function toSummary(row: SummaryRow): AnalysisSummary {
  const top = row.top_hypothesis === null ? undefined : likelihoodSchema.safeParse(row.top_likelihood);
  return {
    id: row.id,
    fingerprint: row.fingerprint,
    alertname: opt(row.alertname),
    severity: opt(row.severity),
    target: parseJson(targetSchema, row.target_json),
    episode: opt(row.episode),
    status: analysisStatusSchema.catch("failed").parse(row.status),
    trigger: analysisTriggerSchema.catch("manual").parse(row.trigger),
    startedBy: opt(row.started_by),
    source: row.source === "gemini" || row.source === "offline" ? row.source : undefined,
    model: opt(row.model),
    inputTokens: opt(row.input_tokens),
    outputTokens: opt(row.output_tokens),
    durationMs: opt(row.duration_ms),
    topHypothesis: top?.success && row.top_hypothesis !== null ? { title: row.top_hypothesis, likelihood: top.data } : undefined,
    progress: parseJson(progressSchema, row.progress_json),
    error: opt(row.error),
    issueNumber: opt(row.issue_number),
    issueUrl: opt(row.issue_url),
    issueAction: issueActionSchema.optional().catch(undefined).parse(opt(row.issue_action)),
    filedBy: opt(row.filed_by),
    filedAt: opt(row.filed_at),
    resolvedAt: opt(row.resolved_at),
    createdAt: row.created_at,
    startedAt: opt(row.started_at),
    finishedAt: opt(row.finished_at),
  };
}

function toAnalysis(row: Selectable<AnalysesTable>): Analysis {
  return {
    ...toSummary(row),
    alert: parseJson(analysisAlertSchema, row.alert_json),
    bundle: parseJson(evidenceBundleSchema, row.bundle_json),
    report: parseJson(reportSchema, row.report_json),
    markdown: opt(row.markdown),
    timings: parseJson(timingsSchema, row.timings_json),
    signature: opt(row.signature),
    signatureParts: parseJson(signaturePartsSchema, row.signature_json),
    workloadKey: opt(row.workload_key),
  };
}

function toJob(row: JobRow): Job {
  let payload: unknown = null;
  try {
    payload = JSON.parse(row.payload_json);
  } catch {
    payload = null;
  }
  return {
    id: row.id,
    kind: jobKindSchema.parse(row.kind),
    dedupKey: row.dedup_key,
    payload,
    status: jobStatusSchema.parse(row.status),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    lastError: opt(row.last_error),
    runAfter: row.run_after,
    lockedBy: opt(row.locked_by),
    lockedAt: opt(row.locked_at),
    leaseExpiresAt: opt(row.lease_expires_at),
    analysisId: opt(row.analysis_id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString("base64url");
}

const cursorSchema = z.tuple([z.string().max(64), z.string().max(64)]);
/**
 * A search page's cursor: the instant recency is measured from, the top of the current rank window (a
 * search table seq on SQLite, "created_at|id|inclusive" on PostgreSQL), and how many of the window's
 * ranked rows earlier pages showed. An offset rather than the last score: bm25 moves a little as rows
 * are added, and a window is at most RANK_WINDOW rows, all ranked anyway.
 */
// The time is the ranking's "now": PostgreSQL casts it (an edited one would fail the statement), SQLite's julianday would rank by null.
const searchCursorSchema = z.tuple([z.literal("s"), z.iso.datetime(), z.union([z.number().int(), z.string().max(160)]), z.number().int().min(0).max(1_000_000)]);

function decodeSearchCursor(cursor: string): z.infer<typeof searchCursorSchema> {
  try {
    return searchCursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw new AppError("unprocessable", "Invalid cursor.", { hint: "Use the nextCursor of the previous page of the same search, or leave it out for the first page." });
  }
}

/** A row's report as jsonb, its \u0000 escapes (a NUL quoted from a log) read as \ufffd: jsonb refuses them (migration 010). */
const PG_REPORT_JSONB = sql.raw("replace(a.report_json, E'\\\\u0000', E'\\\\ufffd')::jsonb");

/** ts_headline's options: the snippet markers of lib/store/search.ts, two short fragments. */
const PG_HEADLINE = "StartSel=\u0002, StopSel=\u0003, MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=\" … \"";

/**
 * How many matches one ranking covers: the newest this many matches (filters applied) are ordered by
 * relevance and recency, then the next older ones, and so on. It bounds a query's work whatever the
 * history's size (ranking every match of a common word in 100,000 analyses takes seconds), and keeps
 * each page's order stable.
 */
const RANK_WINDOW = 2000;

/**
 * PostgreSQL finds a rank window by walking the newest rows first: the newest window × this many rows
 * (in range) are read in created_at order and tested, which finds a common word's window after a few
 * thousand rows instead of visiting every match's row (a GIN index keeps no order, and a word in a
 * sixth of 100,000 analyses is 16,000 row visits). Only when those rows hold fewer matches than the
 * window does the GIN index look further back, for the rarer matches older than them.
 */
const PG_WALK_FACTOR = 10;

/** bm25 weights of the FTS columns (alertname, namespace, pod, cluster, causes, evidence): a name outranks a word in a log line. */
const BM25_WEIGHTS = sql.raw("4.0, 4.0, 6.0, 2.0, 2.0, 1.0");

function decodeCursor(cursor: string): [string, string] {
  try {
    return cursorSchema.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw new AppError("unprocessable", "Invalid cursor.", { hint: "Use the nextCursor of the previous page, or leave it out for the first page." });
  }
}

/** What an analysis says when its job has failed for good. */
function jobFailedReason(attempts: number, error: string | null): string {
  return `The analysis job failed after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${error ?? "unknown error"}`;
}

function notFound(what: string, id: string): AppError {
  return new AppError("not_found", `No ${what} with id ${id}.`, { hint: "It may have been deleted; reload the list." });
}

/** Persistence for analyses, jobs, filed issues, locks and the audit log. Obtain one with openStore. */
/** The row of a new analysis. */
function analysisRow(a: z.output<typeof newAnalysisSchema>, now: string): Insertable<AnalysesTable> {
  return {
    id: a.id ?? randomUUID(),
    fingerprint: a.fingerprint,
    alertname: a.alertname ?? a.alert?.labels.alertname ?? null,
    severity: a.severity ?? a.alert?.labels.severity ?? null,
    cluster: a.target?.cluster ?? null,
    namespace: a.target?.namespace ?? null,
    pod: a.target?.pod ?? null,
    container: a.target?.container ?? null,
    episode: a.episode ?? null,
    alert_json: json(a.alert),
    target_json: json(a.target),
    status: a.status,
    trigger: a.trigger,
    started_by: a.startedBy ?? null,
    created_at: now,
  };
}

/** The row of a new queued job. */
function jobRow(j: z.output<typeof newJobSchema>, now: string): Insertable<JobsTable> {
  return {
    id: randomUUID(),
    kind: j.kind,
    dedup_key: j.dedupKey,
    payload_json: JSON.stringify(j.payload ?? null),
    status: "queued",
    attempts: 0,
    max_attempts: j.maxAttempts,
    run_after: j.runAfter ?? now,
    analysis_id: j.analysisId ?? null,
    created_at: now,
    updated_at: now,
  };
}

/**
 * An analysis pruning may remove: not queued or running, no live job, and no issue that may be open
 * linking to it. An issue is known closed when the console closed it (issues.closed_at) or when the
 * registry has moved on to another issue for the fingerprint (the filer files a new one only after
 * GitHub said the old one is no longer open).
 */
function prunable(eb: ExpressionBuilder<Database, "analyses">) {
  return eb.and([
    eb("analyses.status", "not in", ACTIVE_ANALYSIS),
    eb.not(
      eb.exists(
        eb
          .selectFrom("jobs")
          .select("jobs.id")
          .whereRef("jobs.analysis_id", "=", "analyses.id")
          .where("jobs.status", "in", ["queued", "running"]),
      ),
    ),
    eb.or([
      eb("analyses.issue_number", "is", null),
      eb.exists(
        eb
          .selectFrom("issues")
          .select("issues.fingerprint")
          .whereRef("issues.fingerprint", "=", "analyses.fingerprint")
          .where((i) => i.or([i("issues.closed_at", "is not", null), i("issues.number", "!=", i.ref("analyses.issue_number"))])),
      ),
    ]),
  ]);
}

export class Store {
  private readonly mutex = new KeyedMutex();
  readonly locks: LeaseLocks;
  /** The engine behind db, for the few statements that differ. */
  readonly dialect: Dialect;
  /** On PostgreSQL, runExclusive's cross-replica half (advisory locks); undefined on SQLite. */
  private readonly advisory?: AdvisoryLocks;
  private probe?: { at: number; result: Promise<void> };
  /** How many matches one search ranking covers (RANK_WINDOW); tests shrink it to page across windows. */
  searchRankWindow = RANK_WINDOW;

  constructor(
    readonly db: Kysely<Database>,
    private readonly now: () => Date,
    private readonly probeCacheMs = 1500,
    /** PostgreSQL: advisory locks held at once; each holds a pooled connection, so fewer than the pool has. */
    advisoryLockSlots = 4,
  ) {
    this.locks = new LeaseLocks(db, now);
    this.dialect = dialectOf(db);
    if (this.dialect === "postgres") this.advisory = new AdvisoryLocks(db, advisoryLockSlots);
  }

  /** Forget the last readiness probe (a statement just failed on storage), so the next check writes again. */
  storageFailed(): void {
    this.probe = undefined;
  }

  private iso(offsetMs = 0): string {
    return new Date(this.now().getTime() + offsetMs).toISOString();
  }

  /**
   * Record a new analysis (status queued unless given).
   * @throws AppError unprocessable when the input is out of bounds.
   */
  async createAnalysis(input: NewAnalysis): Promise<Analysis> {
    const a = validate(newAnalysisSchema, input, "analysis");
    const row = await this.db
      .insertInto("analyses")
      .values(analysisRow(a, this.iso()))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toAnalysis(row);
  }

  /**
   * Apply a partial update; a report also fills source, model, tokens, duration and the top hypothesis.
   * @throws AppError not_found, or unprocessable when the patch is invalid.
   */
  async updateAnalysis(id: string, patch: AnalysisPatch): Promise<Analysis> {
    const p = validate(analysisPatchSchema, patch, "analysis patch");
    const set: Updateable<AnalysesTable> = {};
    if (p.status !== undefined) set.status = p.status;
    if (p.bundle !== undefined) set.bundle_json = json(p.bundle);
    if (p.report !== undefined) {
      const top = p.report.hypotheses[0];
      set.report_json = json(p.report);
      set.top_hypothesis = top?.title ?? null;
      set.top_likelihood = top?.likelihood ?? null;
      set.source = p.report.source;
      set.model = p.report.model;
      if (p.report.usage) {
        set.input_tokens = p.report.usage.inputTokens;
        set.output_tokens = p.report.usage.outputTokens;
      }
      if (p.report.durationMs !== undefined) set.duration_ms = Math.round(p.report.durationMs);
    }
    if (p.markdown !== undefined) set.markdown = p.markdown;
    if (p.source !== undefined) set.source = p.source;
    if (p.model !== undefined) set.model = p.model;
    if (p.inputTokens !== undefined) set.input_tokens = p.inputTokens;
    if (p.outputTokens !== undefined) set.output_tokens = p.outputTokens;
    if (p.durationMs !== undefined) set.duration_ms = Math.round(p.durationMs);
    if (p.timings !== undefined) set.timings_json = json(p.timings);
    if (p.progress !== undefined) set.progress_json = json(p.progress);
    if (p.error !== undefined) set.error = p.error;
    if (p.issueNumber !== undefined) set.issue_number = p.issueNumber;
    if (p.issueUrl !== undefined) set.issue_url = p.issueUrl;
    if (p.issueAction !== undefined) set.issue_action = p.issueAction;
    if (p.filedBy !== undefined) set.filed_by = p.filedBy;
    if (p.filedAt !== undefined) set.filed_at = p.filedAt;
    if (p.startedAt !== undefined) set.started_at = p.startedAt;
    if (p.finishedAt !== undefined) set.finished_at = p.finishedAt;
    if (p.resolvedAt !== undefined) set.resolved_at = p.resolvedAt;
    if (p.signature !== undefined) {
      set.signature = p.signature?.signature ?? null;
      set.signature_json = p.signature ? json(p.signature.parts) : null;
      set.workload_key = p.signature?.workloadKey ?? null;
    }
    if (Object.keys(set).length === 0) {
      const current = await this.getAnalysis(id);
      if (!current) throw notFound("analysis", id);
      return current;
    }
    const row = await this.db.updateTable("analyses").set(set).where("id", "=", id).returningAll().executeTakeFirst();
    if (!row) throw notFound("analysis", id);
    return toAnalysis(row);
  }

  /** One analysis with its bundle, report and markdown, or undefined. */
  async getAnalysis(id: string): Promise<Analysis | undefined> {
    const row = await this.db.selectFrom("analyses").selectAll().where("id", "=", id.slice(0, 64)).executeTakeFirst();
    return row ? toAnalysis(row) : undefined;
  }

  /**
   * History, newest first, in pages.
   * @throws AppError unprocessable for an invalid filter or cursor.
   */
  async listAnalyses(filter: ListAnalysesFilter = {}): Promise<AnalysisPage> {
    const f = validate(listAnalysesSchema, filter, "filter");
    let q = this.db.selectFrom("analyses").select(SUMMARY_COLUMNS);
    if (f.fingerprint) q = q.where("fingerprint", "=", f.fingerprint);
    for (const col of ["alertname", "namespace"] as const) {
      const v = f[col];
      if (!v) continue;
      // A prefix as a range (BINARY collation compares UTF-8 bytes): indexable, and no LIKE wildcards to escape.
      // PostgreSQL compares by the database's collation, where that range may miss rows: starts_with is exact.
      if (f.match !== "prefix") q = q.where(col, "=", v);
      else if (this.dialect === "postgres") q = q.where(sql<boolean>`starts_with(${sql.ref(col)}, ${v})`);
      else q = q.where(col, ">=", v).where(col, "<", `${v}\u{10FFFF}`);
    }
    if (f.status) q = q.where("status", "=", f.status);
    if (f.source) q = q.where("source", "=", f.source);
    if (f.since) q = q.where("created_at", ">=", f.since);
    if (f.until) q = q.where("created_at", "<", f.until);
    if (f.cursor) {
      const [c, i] = decodeCursor(f.cursor);
      q = q.where((eb) => eb.or([eb("created_at", "<", c), eb.and([eb("created_at", "=", c), eb("id", "<", i)])]));
    }
    const rows = await q.orderBy("created_at", "desc").orderBy("id", "desc").limit(f.limit + 1).execute();
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toSummary),
      nextCursor: rows.length > f.limit && last ? encodeCursor(last.created_at, last.id) : undefined,
    };
  }

  /**
   * Finished analyses with the same failure signature, newest first: those on the same workload, then
   * those elsewhere; at most `limit` (1-50) in all, never `excludeId`. Two indexed range reads.
   */
  async similarAnalyses(q: { signature: string; workloadKey?: string; excludeId?: string; limit?: number }): Promise<SimilarAnalysis[]> {
    const limit = Math.min(Math.max(Math.trunc(q.limit ?? 10), 1), 50);
    const signature = q.signature.slice(0, 64);
    const base = () => {
      let b = this.db.selectFrom("analyses").select([...SUMMARY_COLUMNS, "workload_key", "signature_json"]).where("signature", "=", signature).where("status", "=", "done");
      if (q.excludeId) b = b.where("id", "!=", q.excludeId.slice(0, 64));
      return b.orderBy("created_at", "desc").orderBy("id", "desc");
    };
    const key = q.workloadKey?.slice(0, 1024);
    const same = key ? await base().where("workload_key", "=", key).limit(limit).execute() : [];
    const elsewhere = () => (key ? base().where((eb) => eb.or([eb("workload_key", "is", null), eb("workload_key", "!=", key)])) : base());
    const others = same.length < limit ? await elsewhere().limit(limit - same.length).execute() : [];
    const row = (r: (typeof same)[number], sameWorkload: boolean): SimilarAnalysis => ({
      ...toSummary(r),
      workloadKey: opt(r.workload_key),
      signatureParts: parseJson(signaturePartsSchema, r.signature_json),
      sameWorkload,
    });
    return [...same.map((r) => row(r, true)), ...others.map((r) => row(r, false))];
  }

  /** What GitHub last said about these issues (by URL), and when. */
  async issueStates(urls: readonly string[]): Promise<Map<string, CachedIssueState>> {
    const unique = [...new Set(urls.filter((u) => u.length > 0 && u.length <= 2048))].slice(0, 500);
    const out = new Map<string, CachedIssueState>();
    if (unique.length === 0) return out;
    const rows = await this.db.selectFrom("issue_states").selectAll().where("url", "in", unique).execute();
    for (const r of rows) out.set(r.url, { url: r.url, number: r.number, state: issueStateSchema.catch("unknown").parse(r.state), checkedAt: r.checked_at });
    return out;
  }

  /** Remember what GitHub said about an issue, now. */
  async saveIssueState(s: { url: string; number: number; state: CachedIssueState["state"] }): Promise<void> {
    const now = this.iso();
    await this.db
      .insertInto("issue_states")
      .values({ url: s.url.slice(0, 2048), number: s.number, state: s.state, checked_at: now })
      .onConflict((oc) => oc.column("url").doUpdateSet({ number: s.number, state: s.state, checked_at: now }))
      .execute();
  }

  /**
   * Full-text search over the history (names, causes, quoted evidence; lib/store/search.ts for how
   * words match), with the list's filters; best match first, a page at a time, each hit with a snippet
   * of where it matched. An empty query is the plain list, newest first.
   * @throws AppError unprocessable for a query over 200 characters or 20 words, a bad filter or cursor.
   */
  async searchAnalyses(filter: SearchAnalysesFilter): Promise<SearchPage> {
    const { q: text, ...f } = validate(searchAnalysesSchema, filter, "search");
    const q = text.trim();
    const terms = parseSearchQuery(q);
    if (!q) return { ...(await this.listAnalyses(f)), terms: [] };
    if (terms.length === 0) return { items: [], terms: [] };
    const pg = dialectOf(this.db) === "postgres";
    const [, now, top, offset] = f.cursor ? decodeSearchCursor(f.cursor) : ["s", this.iso(), undefined, 0];
    // The filters read the search table's copy of them (small rows, no join to analyses); the range
    // conditions (time, the window's top) are the ones an index on created_at answers.
    const where = [];
    for (const col of ["alertname", "namespace"] as const) {
      const v = f[col];
      if (!v) continue;
      const c = sql.ref(`s.${col}`);
      if (f.match !== "prefix") where.push(sql`${c} = ${v}`);
      else where.push(pg ? sql`starts_with(${c}, ${v})` : sql`${c} >= ${v} and ${c} < ${`${v}\u{10FFFF}`}`);
    }
    if (f.status) where.push(sql`s.status = ${f.status}`);
    if (f.source) where.push(sql`s.source = ${f.source}`);
    const range = [];
    if (f.since) range.push(sql`s.created_at >= ${f.since}`);
    if (f.until) range.push(sql`s.created_at < ${f.until}`);
    if (top !== undefined && pg) {
      const [c = "", i = "", inclusive] = String(top).split("|");
      range.push(inclusive === "1" ? sql`(s.created_at, s.analysis_id) <= (${c}, ${i})` : sql`(s.created_at, s.analysis_id) < (${c}, ${i})`);
    } else if (top !== undefined) range.push(sql`analysis_search_fts.rowid <= ${Number(top)}`);
    const and = (parts: RawBuilder<unknown>[]) => (parts.length ? sql`and ${sql.join(parts, sql` and `)}` : sql``);
    const filters = and(where);
    const inRange = and(range);

    // The newest RANK_WINDOW matches below the window's top, ranked; hi and lo are the window's ends.
    // PostgreSQL: `recent` tests the newest rows in range (PG_WALK_FACTOR), `older` asks the GIN index
    // for matches past them only when recent is short of a window; the window is cut on keys alone and
    // only its rows are read again for ts_rank.
    const window = this.searchRankWindow;
    const tsQuery = toTsQuery(terms);
    const ranked = pg
      ? sql<{ id: string; score: number; seq: null; n: number; hi: string; lo: string }>`
          with recent as (
            select s.analysis_id as id, s.created_at
            from (select * from analysis_search s where true ${inRange} order by s.created_at desc, s.analysis_id desc limit ${window * PG_WALK_FACTOR}) s
            where s.document @@ to_tsquery('simple', ${tsQuery}) ${filters}
            order by s.created_at desc, s.analysis_id desc limit ${window}
          ), edge as (
            select s.created_at, s.analysis_id from analysis_search s where true ${inRange}
            order by s.created_at desc, s.analysis_id desc offset ${window * PG_WALK_FACTOR - 1} limit 1
          ), older as (
            select s.analysis_id as id, s.created_at
            from analysis_search s cross join edge
            where (select count(*) from recent) < ${window} and (s.created_at, s.analysis_id) < (edge.created_at, edge.analysis_id)
              and s.document @@ to_tsquery('simple', ${tsQuery}) ${filters} ${inRange}
            order by s.created_at desc, s.analysis_id desc limit ${window}
          ), m as (
            select id, created_at, created_at || '|' || id as k from (select * from recent union all select * from older) u
            order by created_at desc, id desc limit ${window}
          )
          select w.id, -ts_rank(d.document, query)::float8 / (1.0 + greatest(0.0, extract(epoch from (${now}::timestamptz - w.created_at::timestamptz))::float8 / 86400.0) / ${sql.lit(RECENCY_DAYS)}) as score,
            null as seq, w.n, w.hi, w.lo
          from (
            select id, created_at, count(*) over () as n, first_value(k) over (order by created_at desc, id desc) as hi, first_value(k) over (order by created_at, id) as lo from m
          ) w
          join analysis_search d on d.analysis_id = w.id
          cross join to_tsquery('simple', ${tsQuery}) query
          order by score, w.id limit ${f.limit + 1} offset ${offset}`
      : sql<{ id: string; score: number; seq: number; n: number; hi: number; lo: number }>`
          select id, score, seq, n, hi, lo from (
            select id, seq, b / (1.0 + max(0.0, julianday(${now}) - julianday(c)) / ${sql.lit(RECENCY_DAYS)}) as score,
              count(*) over () as n, max(seq) over () as hi, min(seq) over () as lo
            from (
              select s.analysis_id as id, s.seq as seq, s.created_at as c, bm25(analysis_search_fts, ${BM25_WEIGHTS}) as b
              from analysis_search_fts cross join analysis_search s on s.seq = analysis_search_fts.rowid
              where analysis_search_fts match ${toFts5Query(terms)} ${filters} ${inRange}
              order by analysis_search_fts.rowid desc limit ${window}
            )
          ) order by score, id limit ${f.limit + 1} offset ${offset}`;
    const rows = (await ranked.execute(this.db)).rows;
    const page = rows.slice(0, f.limit);
    const last = page[page.length - 1];
    const ids = page.map((r) => r.id);
    if (!ids.length || !last) return { items: [], terms: terms.map((t) => t.words.join(" ")) };
    // More in this window, else the next older window when this one was full.
    let next: z.infer<typeof searchCursorSchema> | undefined;
    if (rows.length > f.limit) next = ["s", now, pg ? `${last.hi}|1` : Number(last.hi), offset + f.limit];
    else if (Number(last.n) >= this.searchRankWindow) next = ["s", now, pg ? `${last.lo}|0` : Number(last.lo) - 1, 0];

    const snippets = new Map<string, string>();
    // One pass over the page's rowid range; the unary + keeps the IN list out of FTS5's hands, which
    // would run the whole MATCH again for every rowid in it.
    const seqs = page.map((r) => r.seq ?? -1);
    // Text that itself holds a marker character loses it (SQLite's index strips them when it stores the text).
    // PostgreSQL headlines the names only when the evidence has no match (offset 0 keeps the evidence's computed once).
    const snippetRows = pg
      ? await sql<{ id: string; evidence: string | null; names: string | null }>`
          select a.id, e.evidence,
            case when strpos(e.evidence, chr(2)) = 0 then ts_headline('simple', translate(concat_ws(' · ', a.alertname, a.namespace, a.pod, a.cluster, (select string_agg(t, ' · ') from jsonb_array_elements_text(jsonb_path_query_array(${PG_REPORT_JSONB}, '$.hypotheses[*].title')) t)), chr(2) || chr(3), ''), query, ${PG_HEADLINE}) end as names
          from analyses a cross join to_tsquery('simple', ${tsQuery}) query
          cross join lateral (
            select ts_headline('simple', translate(coalesce((select string_agg(t, E'\n') from jsonb_array_elements_text(jsonb_path_query_array(${PG_REPORT_JSONB}, '$.hypotheses[*].evidence[*].text')) t), ''), chr(2) || chr(3), ''), query, ${PG_HEADLINE}) as evidence offset 0
          ) e
          where a.id in (${sql.join(ids)})`.execute(this.db)
      : await sql<{ id: string; evidence: string | null; names: string | null }>`
          select s.analysis_id as id,
            snippet(analysis_search_fts, 5, char(2), char(3), '…', 24) as evidence,
            snippet(analysis_search_fts, -1, char(2), char(3), '…', 16) as names
          from analysis_search_fts cross join analysis_search s on s.seq = analysis_search_fts.rowid
          where analysis_search_fts match ${toFts5Query(terms)} and analysis_search_fts.rowid between ${Math.min(...seqs)} and ${Math.max(...seqs)}
            and +analysis_search_fts.rowid in (${sql.join(seqs)})`.execute(this.db);
    for (const r of snippetRows.rows) {
      const text = r.evidence?.includes(HIT_START) ? r.evidence : r.names;
      if (text) snippets.set(r.id, text);
    }

    const summaries = new Map<string, SearchHit>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const chunk = await this.db.selectFrom("analyses").select(SUMMARY_COLUMNS).where("id", "in", ids.slice(i, i + ID_CHUNK)).execute();
      for (const row of chunk) summaries.set(row.id, toSummary(row));
    }
    const items: SearchHit[] = [];
    for (const id of ids) {
      const hit = summaries.get(id);
      if (!hit) continue;
      const snippet = snippets.get(id);
      items.push(snippet?.includes(HIT_START) ? { ...hit, snippet: splitHighlights(snippet) } : hit);
    }
    return {
      items,
      nextCursor: next ? Buffer.from(JSON.stringify(next)).toString("base64url") : undefined,
      terms: terms.map((t) => t.words.join(" ")),
    };
  }

  /** The newest analysis of one alert, in full, or undefined. */
  async latestAnalysisByFingerprint(fingerprint: string): Promise<Analysis | undefined> {
    const row = await this.db
      .selectFrom("analyses")
      .selectAll()
      .where("fingerprint", "=", fingerprint)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ? toAnalysis(row) : undefined;
  }

  /** The newest analysis of each fingerprint, one query per 500 fingerprints (the alert list's join). */
  async latestAnalysesFor(fingerprints: readonly string[]): Promise<Map<string, AnalysisSummary>> {
    const unique = [...new Set(fingerprints.filter((f) => f.length > 0 && f.length <= 256))].slice(0, 10_000);
    const out = new Map<string, AnalysisSummary>();
    for (let i = 0; i < unique.length; i += FINGERPRINT_CHUNK) {
      const chunk = unique.slice(i, i + FINGERPRINT_CHUNK);
      const rows = await this.db
        .selectFrom("analyses as a")
        .select(SUMMARY_COLUMNS)
        .where("a.fingerprint", "in", chunk)
        .where((eb) =>
          eb(
            "a.created_at",
            "=",
            eb.selectFrom("analyses as b").select((b) => b.fn.max("b.created_at").as("m")).whereRef("b.fingerprint", "=", "a.fingerprint"),
          ),
        )
        .orderBy("a.id", "desc")
        .execute();
      // Two analyses created in the same millisecond tie on created_at; keep the one with the larger id, as the list does.
      for (const row of rows) if (!out.has(row.fingerprint)) out.set(row.fingerprint, toSummary(row));
    }
    return out;
  }

  /**
   * The fingerprints among these that have an analysis or a filed issue, one indexed query per 500: a
   * resolution of any other alert has nothing to mark, comment or close.
   */
  async fingerprintsWithHistory(fingerprints: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(fingerprints.filter((f) => f.length > 0 && f.length <= 256))];
    const out = new Set<string>();
    for (let i = 0; i < unique.length; i += FINGERPRINT_CHUNK) {
      const chunk = unique.slice(i, i + FINGERPRINT_CHUNK);
      const rows = await this.db
        .selectFrom("analyses")
        .select("fingerprint")
        .distinct()
        .where("fingerprint", "in", chunk)
        .union(this.db.selectFrom("issues").select("fingerprint").where("fingerprint", "in", chunk))
        .execute();
      for (const r of rows) out.add(r.fingerprint);
    }
    return out;
  }

  /**
   * A queued or running analysis of this alert whose job is alive (queued, or running under an unexpired
   * lease), so a second Analyze joins it instead of starting another. One whose job ended, vanished or
   * lost its worker is not joined: see settleStaleAnalyses.
   */
  async findActiveAnalysis(fingerprint: string): Promise<Analysis | undefined> {
    const now = this.iso();
    const row = await this.db
      .selectFrom("analyses")
      .selectAll()
      .where("fingerprint", "=", fingerprint)
      .where("status", "in", ACTIVE_ANALYSIS)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom("jobs")
            .select("jobs.id")
            .whereRef("jobs.analysis_id", "=", "analyses.id")
            .where("jobs.kind", "=", "analyze")
            .where((eb) => eb.or([eb("jobs.status", "=", "queued"), eb.and([eb("jobs.status", "=", "running"), eb("jobs.lease_expires_at", ">=", now)])])),
        ),
      )
      .orderBy("created_at", "desc")
      .limit(1)
      .executeTakeFirst();
    return row ? toAnalysis(row) : undefined;
  }

  /**
   * Settle this alert's analyses that say queued or running but will never finish: their job failed,
   * finished without a result, is missing, or is running under an expired lease (its worker died). The
   * last kind of job fails too, so no sweep brings it back beside the analysis that replaces it.
   * Returns how many analyses it settled (as failed, with the reason).
   */
  async settleStaleAnalyses(fingerprint: string): Promise<number> {
    const now = this.iso();
    return this.db.transaction().execute(async (trx) => {
      const active = await trx
        .selectFrom("analyses")
        .select("id")
        .where("fingerprint", "=", fingerprint)
        .where("status", "in", ACTIVE_ANALYSIS)
        .limit(100)
        .execute();
      let settled = 0;
      for (const { id } of active) {
        const jobs = await trx.selectFrom("jobs").selectAll().where("analysis_id", "=", id).where("kind", "=", "analyze").execute();
        if (jobs.some((j) => j.status === "queued" || (j.status === "running" && j.lease_expires_at !== null && j.lease_expires_at >= now))) continue;
        const abandoned = jobs.find((j) => j.status === "running");
        let reason: string;
        if (abandoned) {
          reason = `Abandoned: its worker ${abandoned.locked_by ?? "(unknown)"} stopped renewing the job's lease${abandoned.lease_expires_at ? ` (expired ${abandoned.lease_expires_at})` : ""}, and a new analysis replaced it.`;
          await trx
            .updateTable("jobs")
            .set({ status: "failed", last_error: reason, locked_by: null, locked_at: null, lease_expires_at: null, updated_at: now })
            .where("id", "=", abandoned.id)
            .where("status", "=", "running")
            .execute();
        } else {
          const last = jobs.find((j) => j.status === "failed") ?? jobs[0];
          reason = !last
            ? "Its job is missing (the process stopped before queueing it)."
            : last.status === "failed"
              ? jobFailedReason(last.attempts, last.last_error)
              : "Its job ended without recording a result.";
        }
        if (await this.settleAnalysis(trx, id, { status: "failed", error: reason }, now)) settled++;
      }
      return settled;
    });
  }

  /**
   * Move an analysis with its job: back to queued (from running) when the job is requeued, failed with
   * the reason when the job ends without the handler having settled it. Returns whether it changed.
   */
  private async settleAnalysis(db: Db, analysisId: string, outcome: { status: "queued" } | { status: "failed"; error: string }, now: string): Promise<boolean> {
    const q =
      outcome.status === "queued"
        ? db.updateTable("analyses").set({ status: "queued", progress_json: null }).where("status", "=", "running")
        : db
            .updateTable("analyses")
            .set({ status: "failed", error: outcome.error.slice(0, 4000), finished_at: now })
            .where("status", "in", ACTIVE_ANALYSIS);
    const r = await q.where("id", "=", analysisId).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** settleAnalysis for the analysis an analyze job carries; other kinds (file_issue) leave it alone. */
  private async settleJobAnalysis(db: Db, job: JobOutcomeRow, outcome: { status: "queued" } | { status: "failed"; error: string }, now: string): Promise<void> {
    if (job.kind !== "analyze" || !job.analysis_id) return;
    await this.settleAnalysis(db, job.analysis_id, outcome, now);
  }

  /** Mark the alert's unresolved analyses of episodes up to `at` resolved; returns those it marked. */
  async markResolved(fingerprint: string, at: Date | string): Promise<AnalysisSummary[]> {
    const when = validate(newAnalysisSchema.shape.episode, at, "resolved time");
    if (!when) return [];
    const rows = await this.db
      .updateTable("analyses")
      .set({ resolved_at: when })
      .where("fingerprint", "=", fingerprint)
      .where("resolved_at", "is", null)
      .where((eb) => eb.or([eb("episode", "is", null), eb("episode", "<=", when)]))
      .returning(SUMMARY_COLUMNS)
      .execute();
    return rows.map(toSummary);
  }

  /**
   * Add a job unless one with the same dedupKey exists, in which case that one is returned.
   * @throws AppError unprocessable when the input is out of bounds.
   */
  async enqueueJob(input: NewJob): Promise<{ job: Job; created: boolean }> {
    const j = validate(newJobSchema, input, "job");
    const now = this.iso();
    const row = await this.db
      .insertInto("jobs")
      .values(jobRow(j, now))
      .onConflict((oc) => oc.column("dedup_key").doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row) return { job: toJob(row), created: true };
    const existing = await this.db.selectFrom("jobs").selectAll().where("dedup_key", "=", j.dedupKey).executeTakeFirstOrThrow();
    return { job: toJob(existing), created: false };
  }

  /**
   * Add many analyses with their jobs in a few statements (a 1,000-alert webhook): jobs whose dedupKey
   * exists are skipped, and so are their analyses. Returns the dedup keys that were new.
   * @throws AppError unprocessable when an input is out of bounds (nothing is written then).
   */
  async enqueueAnalyses(items: readonly { job: NewJob; analysis: NewAnalysis & { id: string } }[]): Promise<Set<string>> {
    const valid = items.map((i) => ({ job: validate(newJobSchema, i.job, "job"), analysis: validate(newAnalysisSchema, i.analysis, "analysis") }));
    const now = this.iso();
    // One transaction: a job never exists without its analysis, and one commit instead of two per chunk.
    return this.db.transaction().execute(async (trx) => {
      const created = new Set<string>();
      for (let i = 0; i < valid.length; i += 250) {
        const chunk = valid.slice(i, i + 250);
        const rows = await trx
          .insertInto("jobs")
          .values(chunk.map((c) => jobRow(c.job, now)))
          .onConflict((oc) => oc.column("dedup_key").doNothing())
          .returning("dedup_key")
          .execute();
        const fresh = new Set(rows.map((r) => r.dedup_key));
        const analyses = chunk.filter((c) => fresh.has(c.job.dedupKey)).map((c) => c.analysis);
        if (analyses.length) {
          await trx
            .insertInto("analyses")
            .values(analyses.map((a) => analysisRow(a, now)))
            .onConflict((oc) => oc.column("id").doNothing())
            .execute();
        }
        for (const k of fresh) created.add(k);
      }
      return created;
    });
  }

  /**
   * Atomically take the oldest runnable queued job and mark it running for workerId. One UPDATE with
   * a subquery: SQLite takes the write lock for the whole statement, and the status guard keeps it
   * exclusive on PostgreSQL too (add FOR UPDATE SKIP LOCKED there). With kinds, each kind's oldest job
   * is found by a seek on jobs_status_kind_run_after and the oldest of those is taken: a single
   * `kind IN (...)` would scan every queued job of other kinds, which a storm makes tens of thousands.
   * The claim is a lease for `leaseMs` (default DEFAULT_LEASE_MS) that the owner must renew (renewLeases).
   */
  async claimNextJob(workerId: string, kinds?: readonly JobKind[], options: { leaseMs?: number } = {}): Promise<Job | undefined> {
    if (kinds && kinds.length === 0) return undefined;
    const now = this.iso();
    const leaseUntil = this.iso(leaseMsOf(options.leaseMs));
    // No id in this ORDER BY: the indexes end at created_at, and the jobs of one enqueueJobs or
    // enqueueAnalyses call (a webhook slice, a storm) share one run_after and created_at, so sorting those
    // ties by id read the whole batch on every claim: quadratic in the batch. The index's own order breaks
    // ties (insertion order in SQLite).
    const oldest = (kind?: JobKind) => {
      let q = this.db
        .selectFrom("jobs")
        .select(["id", "run_after", "created_at"])
        .where("status", "=", "queued")
        .where("run_after", "<=", now)
        .orderBy("run_after")
        .orderBy("created_at")
        .limit(1);
      if (kind) q = q.where("kind", "=", kind);
      // PostgreSQL: a claim racing another skips the row that one is taking instead of coming back empty.
      if (this.dialect === "postgres") q = q.forUpdate().skipLocked();
      return q;
    };
    const [first, ...rest] = kinds ? [...new Set(kinds)].map((k) => this.db.selectFrom(oldest(k).as("k")).selectAll()) : [this.db.selectFrom(oldest().as("k")).selectAll()];
    if (!first) return undefined;
    const candidates = rest.reduce((u, q) => u.unionAll(q), first);
    // One seek is the answer already; ordering it again lets SQLite merge the two and sort the ties after all.
    const next = rest.length
      ? this.db.selectFrom(candidates.as("c")).select("c.id").orderBy("c.run_after").orderBy("c.created_at").orderBy("c.id").limit(1)
      : this.db.selectFrom(candidates.as("c")).select("c.id");
    const row = await this.db
      .updateTable("jobs")
      .set((eb) => ({
        status: "running",
        locked_by: workerId.slice(0, 128),
        locked_at: now,
        lease_expires_at: leaseUntil,
        updated_at: now,
        attempts: eb("attempts", "+", 1),
      }))
      .where("id", "=", next)
      .where("status", "=", "queued")
      .returningAll()
      .executeTakeFirst();
    return row ? toJob(row) : undefined;
  }

  /**
   * Mark a running job done; false when it is no longer running (for workerId, when given: a worker
   * whose lease was taken over records nothing). An analysis its handler left queued or running fails.
   */
  async completeJob(id: string, workerId?: string): Promise<boolean> {
    const now = this.iso();
    return this.db.transaction().execute(async (trx) => {
      let q = trx
        .updateTable("jobs")
        .set({ status: "done", locked_by: null, locked_at: null, lease_expires_at: null, updated_at: now })
        .where("id", "=", id)
        .where("status", "=", "running");
      if (workerId) q = q.where("locked_by", "=", workerId);
      const row = await q.returning(["kind", "analysis_id"]).executeTakeFirst();
      if (!row) return false;
      await this.settleJobAnalysis(trx, row, { status: "failed", error: "Its job ended without recording a result." }, now);
      return true;
    });
  }

  /**
   * Record a failed attempt: back to queued after a backoff while attempts remain, else failed.
   * `permanent` fails it at once (no handler, invalid payload...). The analysis follows: queued again
   * for a retry, failed with the reason at the end.
   * @throws AppError not_found.
   */
  async failJob(id: string, error: string, options: { retryInMs?: number; permanent?: boolean; workerId?: string } = {}): Promise<Job> {
    const current = await this.db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst();
    if (!current) throw notFound("job", id);
    const retry = !options.permanent && current.attempts < current.max_attempts;
    const jitter = 0.8 + Math.random() * 0.4;
    const backoff = options.retryInMs ?? Math.min(MAX_BACKOFF_MS, 2000 * 2 ** Math.max(0, current.attempts - 1) * jitter);
    const now = this.iso();
    const row = await this.db.transaction().execute(async (trx) => {
      let q = trx
        .updateTable("jobs")
        .set({
          status: retry ? "queued" : "failed",
          last_error: error.slice(0, 4000),
          run_after: retry ? this.iso(Math.max(0, backoff)) : current.run_after,
          locked_by: null,
          locked_at: null,
          lease_expires_at: null,
          updated_at: now,
        })
        .where("id", "=", id)
        .where("status", "=", "running");
      if (options.workerId) q = q.where("locked_by", "=", options.workerId);
      const updated = await q.returningAll().executeTakeFirst();
      if (updated) {
        await this.settleJobAnalysis(trx, updated, retry ? { status: "queued" } : { status: "failed", error: jobFailedReason(updated.attempts, error) }, now);
      }
      return updated;
    });
    return toJob(row ?? current);
  }

  /** Put a running job back without counting the attempt (the worker is shutting down); its analysis says queued again. */
  async releaseJob(id: string, workerId?: string): Promise<boolean> {
    return (await this.release({ id, workerId })) > 0;
  }

  /**
   * Hand back every job workerId holds (graceful stop): queued again at once without counting the
   * attempt, analyses queued again, so another process takes them without waiting for the leases to
   * expire. Returns how many it released.
   */
  async releaseJobs(workerId: string): Promise<number> {
    return this.release({ workerId });
  }

  private release(filter: { id?: string; workerId?: string }): Promise<number> {
    const now = this.iso();
    return this.db.transaction().execute(async (trx) => {
      let q = trx
        .updateTable("jobs")
        .set((eb) => ({ status: "queued", locked_by: null, locked_at: null, lease_expires_at: null, run_after: now, updated_at: now, attempts: eb("attempts", "-", 1) }))
        .where("status", "=", "running");
      if (filter.id !== undefined) q = q.where("id", "=", filter.id);
      if (filter.workerId !== undefined) q = q.where("locked_by", "=", filter.workerId);
      const rows = await q.returning(["kind", "analysis_id"]).execute();
      for (const r of rows) await this.settleJobAnalysis(trx, r, { status: "queued" }, now);
      return rows.length;
    });
  }

  /**
   * Heartbeat: extend workerId's leases on these running jobs by leaseMs. Returns the ids it still
   * holds; a job missing from the answer was requeued by another process (the lease had expired) or
   * has ended, and its handler should stop.
   */
  async renewLeases(workerId: string, ids: readonly string[], leaseMs?: number): Promise<Set<string>> {
    const held = new Set<string>();
    const until = this.iso(leaseMsOf(leaseMs));
    const now = this.iso();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const rows = await this.db
        .updateTable("jobs")
        .set({ lease_expires_at: until, updated_at: now })
        .where("id", "in", ids.slice(i, i + ID_CHUNK))
        .where("status", "=", "running")
        .where("locked_by", "=", workerId)
        .returning("id")
        .execute();
      for (const r of rows) held.add(r.id);
    }
    return held;
  }

  /**
   * Jobs whose lease has expired (their worker died or hung without renewing) go back to the queue;
   * one that has used all its attempts (it may be what kills the process) fails instead, naming the
   * owner. Jobs under a live lease are left alone, so any process may call this at start and
   * periodically. Their analyses follow (queued again, or failed with the reason).
   */
  async requeueExpired(): Promise<{ requeued: number; failed: number }> {
    const now = this.iso();
    return this.db.transaction().execute(async (trx) => {
      const base = trx
        .updateTable("jobs")
        .where("status", "=", "running")
        .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<", now)]));
      const failed = await base
        .set({
          status: "failed",
          // SET expressions read the row as it was, so locked_by still names the owner here.
          last_error: sql<string>`'Interrupted on its last attempt: its worker ' || coalesce(locked_by, '(unknown)') || ' stopped renewing its lease' || coalesce(' (expired ' || lease_expires_at || ')', '') || '.'`,
          locked_by: null,
          locked_at: null,
          lease_expires_at: null,
          updated_at: now,
        })
        .whereRef("attempts", ">=", "max_attempts")
        .returning(["kind", "analysis_id", "attempts", "last_error"])
        .execute();
      const requeued = await base
        .set({ status: "queued", run_after: now, locked_by: null, locked_at: null, lease_expires_at: null, updated_at: now })
        .whereRef("attempts", "<", "max_attempts")
        .returning(["kind", "analysis_id"])
        .execute();
      for (const r of failed) await this.settleJobAnalysis(trx, r, { status: "failed", error: jobFailedReason(r.attempts, r.last_error) }, now);
      for (const r of requeued) await this.settleJobAnalysis(trx, r, { status: "queued" }, now);
      return { requeued: requeued.length, failed: failed.length };
    });
  }

  /** How many jobs are in each state (the queue panel). */
  async jobCounts(): Promise<JobCounts> {
    const rows = await this.db
      .selectFrom("jobs")
      .select((eb) => ["status", eb.fn.countAll().as("n")])
      .groupBy("status")
      .execute();
    const counts: JobCounts = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const r of rows) {
      const s = jobStatusSchema.safeParse(r.status);
      if (s.success) counts[s.data] = Number(r.n);
    }
    return counts;
  }

  /** Jobs, most recently updated first. */
  async listJobs(filter: { status?: JobStatus; kind?: JobKind; limit?: number } = {}): Promise<Job[]> {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 50), 1), 1000);
    let q = this.db.selectFrom("jobs").selectAll();
    if (filter.status) q = q.where("status", "=", jobStatusSchema.parse(filter.status));
    if (filter.kind) q = q.where("kind", "=", jobKindSchema.parse(filter.kind));
    const rows = await q.orderBy("updated_at", "desc").orderBy("id").limit(limit).execute();
    return rows.map(toJob);
  }

  /** The jobs with these dedup keys, by key (one query per 500 keys). */
  async findJobsByDedupKeys(keys: readonly string[]): Promise<Map<string, Job>> {
    const unique = [...new Set(keys.filter((k) => k.length > 0 && k.length <= 512))];
    const out = new Map<string, Job>();
    for (let i = 0; i < unique.length; i += ID_CHUNK) {
      const rows = await this.db.selectFrom("jobs").selectAll().where("dedup_key", "in", unique.slice(i, i + ID_CHUNK)).execute();
      for (const r of rows) out.set(r.dedup_key, toJob(r));
    }
    return out;
  }

  /** One job, or undefined. */
  async getJob(id: string): Promise<Job | undefined> {
    const row = await this.db.selectFrom("jobs").selectAll().where("id", "=", id.slice(0, 64)).executeTakeFirst();
    return row ? toJob(row) : undefined;
  }

  /**
   * Send a failed job back to the queue with fresh attempts.
   * @throws AppError not_found, or conflict when the job has not failed.
   */
  async retryJob(id: string): Promise<Job> {
    const now = this.iso();
    const row = await this.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable("jobs")
        .set({ status: "queued", attempts: 0, run_after: now, updated_at: now })
        .where("id", "=", id)
        .where("status", "=", "failed")
        .returningAll()
        .executeTakeFirst();
      // The failed analysis it settled waits again, rather than showing failed while its job runs.
      if (r?.kind === "analyze" && r.analysis_id) {
        await trx.updateTable("analyses").set({ status: "queued", error: null, finished_at: null }).where("id", "=", r.analysis_id).where("status", "=", "failed").execute();
      }
      return r;
    });
    if (row) return toJob(row);
    const job = await this.getJob(id);
    if (!job) throw notFound("job", id);
    throw new AppError("conflict", `Job ${id} is ${job.status}, not failed.`, { hint: "Only failed jobs can be retried; a queued or running one will run on its own." });
  }

  /** The issue filed for an alert, if any, and whether the console closed it. */
  async issueFor(fingerprint: string): Promise<{ number: number; url: string; closedAt?: string } | undefined> {
    const row = await this.db.selectFrom("issues").select(["number", "url", "closed_at"]).where("fingerprint", "=", fingerprint.slice(0, 256)).executeTakeFirst();
    return row ? { number: row.number, url: row.url, closedAt: opt(row.closed_at) } : undefined;
  }

  /** The per-fingerprint issue registry for lib/github's filer (lock across processes and in-process). */
  issueRegistry(options: LockOptions = {}): IssueRegistry {
    return {
      runExclusive: <T>(fingerprint: string, fn: () => Promise<T>) => this.runExclusive(`issue:${fingerprint}`, fn, options),
      getIssue: async (fingerprint) => {
        const row = await this.db.selectFrom("issues").select(["number", "url"]).where("fingerprint", "=", fingerprint).executeTakeFirst();
        return row ? { number: row.number, url: row.url } : undefined;
      },
      saveIssue: async (fingerprint, issue) => {
        const now = this.iso();
        await this.db
          .insertInto("issues")
          .values({ fingerprint, number: issue.number, url: issue.url, created_at: now, updated_at: now })
          .onConflict((oc) => oc.column("fingerprint").doUpdateSet({ number: issue.number, url: issue.url, updated_at: now, closed_at: null }))
          .execute();
      },
    };
  }

  /** Record that the console closed this fingerprint's issue `number`, so pruning may remove the analyses it links to. */
  async markIssueClosed(fingerprint: string, number: number): Promise<void> {
    const now = this.iso();
    await this.db.updateTable("issues").set({ closed_at: now, updated_at: now }).where("fingerprint", "=", fingerprint).where("number", "=", number).execute();
  }

  /**
   * Apply the retention policy: remove analyses (and their evidence bundles) older than `days` or beyond
   * the newest `maxAnalyses`, except queued or running ones and those an issue that may be open links to;
   * finished jobs older than `days` and those of removed analyses; audit entries older than `auditDays`.
   * Deletes in batches of `batchSize` rows and yields to the event loop between them, so requests are
   * served while a large backlog goes. Idempotent: a second run finds nothing.
   */
  async prune(policy: RetentionPolicy, options: { batchSize?: number } = {}): Promise<PruneResult> {
    const batch = Math.min(Math.max(Math.trunc(options.batchSize ?? 200), 1), 1000);
    const result: PruneResult = { analyses: 0, jobs: 0, audit: 0, keptForIssues: 0, history: 0 };

    // Everything at or before this (created_at, id) is old by age or by count; the larger bound wins.
    let upTo: { createdAt: string; id: string; inclusive: boolean } | undefined;
    if (policy.days > 0) upTo = { createdAt: this.iso(-policy.days * DAY_MS), id: "", inclusive: false };
    if (policy.maxAnalyses > 0) {
      const b = await this.db
        .selectFrom("analyses")
        .select(["created_at", "id"])
        .orderBy("created_at", "desc")
        .orderBy("id", "desc")
        .limit(1)
        .offset(policy.maxAnalyses)
        .executeTakeFirst();
      if (b && (!upTo || b.created_at >= upTo.createdAt)) upTo = { createdAt: b.created_at, id: b.id, inclusive: true };
    }
    if (upTo) {
      const bound = upTo;
      const old = (eb: ExpressionBuilder<Database, "analyses">) =>
        eb.or([
          eb("analyses.created_at", "<", bound.createdAt),
          eb.and([eb("analyses.created_at", "=", bound.createdAt), eb("analyses.id", bound.inclusive ? "<=" : "<", bound.id)]),
        ]);
      let after: { createdAt: string; id: string } | undefined;
      for (;;) {
        const from = after;
        const rows = await this.db
          .selectFrom("analyses")
          .select(["analyses.id", "analyses.created_at"])
          .where(old)
          .where(prunable)
          .$if(from !== undefined, (q) =>
            q.where((eb) =>
              eb.or([eb("analyses.created_at", ">", from?.createdAt ?? ""), eb.and([eb("analyses.created_at", "=", from?.createdAt ?? ""), eb("analyses.id", ">", from?.id ?? "")])]),
            ),
          )
          .orderBy("analyses.created_at")
          .orderBy("analyses.id")
          .limit(batch)
          .execute();
        const last = rows[rows.length - 1];
        if (!last) break;
        const ids = rows.map((r) => r.id);
        await this.db.transaction().execute(async (trx) => {
          const a = await trx.deleteFrom("analyses").where("id", "in", ids).where(prunable).executeTakeFirst();
          const j = await trx.deleteFrom("jobs").where("analysis_id", "in", ids).where("status", "in", ["done", "failed"]).executeTakeFirst();
          // Feedback without its analysis (no report, no evidence) can neither be shown nor exported.
          await trx.deleteFrom("feedback").where("analysis_id", "in", ids).where("analysis_id", "not in", trx.selectFrom("analyses").select("id").where("id", "in", ids)).execute();
          result.analyses += Number(a.numDeletedRows);
          result.jobs += Number(j.numDeletedRows);
        });
        after = { createdAt: last.created_at, id: last.id };
        await yieldToEventLoop();
      }
      const kept = await this.db
        .selectFrom("analyses")
        .select((eb) => eb.fn.countAll().as("n"))
        .where(old)
        .where("issue_number", "is not", null)
        .where((eb) => eb.not(prunable(eb)))
        .executeTakeFirst();
      result.keptForIssues = Number(kept?.n ?? 0);
    }

    if (policy.days > 0) {
      const cutoff = this.iso(-policy.days * DAY_MS);
      result.jobs += await this.deleteInBatches(batch, (db) =>
        db.selectFrom("jobs").select("id").where("status", "in", ["done", "failed"]).where("updated_at", "<", cutoff).limit(batch),
      "jobs");
    }
    if (policy.auditDays > 0) {
      const cutoff = this.iso(-policy.auditDays * DAY_MS);
      result.audit = await this.deleteInBatches(batch, (db) => db.selectFrom("audit").select("id").where("at", "<", cutoff).limit(batch), "audit");
    }
    result.history = await this.pruneHistory(policy, batch);
    return result;
  }

  /** Alert history past HISTORY_DAYS or beyond the newest HISTORY_MAX_ROWS rows, a batch at a time. */
  private async pruneHistory(policy: RetentionPolicy, batch: number): Promise<number> {
    let total = 0;
    const sweep = async (where: (q: ReturnType<Store["historySeqs"]>) => ReturnType<Store["historySeqs"]>) => {
      for (;;) {
        const seqs = (await where(this.historySeqs()).limit(batch).execute()).map((r) => r.seq);
        if (seqs.length === 0) return;
        const r = await this.db.deleteFrom("alert_history").where("seq", "in", seqs).executeTakeFirst();
        total += Number(r.numDeletedRows);
        if (seqs.length < batch) return;
        await yieldToEventLoop();
      }
    };
    if (policy.historyDays && policy.historyDays > 0) {
      const cutoff = this.iso(-policy.historyDays * DAY_MS);
      await sweep((q) => q.where("received_at", "<", cutoff));
    }
    if (policy.historyMaxRows && policy.historyMaxRows > 0) {
      const b = await this.db.selectFrom("alert_history").select("seq").orderBy("seq", "desc").limit(1).offset(policy.historyMaxRows).executeTakeFirst();
      if (b) await sweep((q) => q.where("seq", "<=", b.seq));
    }
    return total;
  }

  private historySeqs() {
    return this.db.selectFrom("alert_history").select("seq").orderBy("seq");
  }

  /**
   * Keep webhook notifications (one transaction per call, inserts of 250 rows): one row per fingerprint,
   * startsAt and status, so a redelivery adds nothing. Returns how many rows were new.
   */
  async recordAlertHistory(items: readonly NewAlertHistory[]): Promise<number> {
    if (!items.length) return 0;
    const now = this.iso();
    const rows = items
      .filter((i) => i.fingerprint.length > 0 && i.fingerprint.length <= 256)
      .map((i) => ({
        fingerprint: i.fingerprint,
        starts_at: new Date(i.startsAt).toISOString(),
        status: i.status,
        ends_at: i.status === "resolved" && i.endsAt ? new Date(i.endsAt).toISOString() : null,
        received_at: now,
        alertname: i.labels.alertname?.slice(0, 256) ?? null,
        namespace: i.labels.namespace?.slice(0, 256) ?? null,
        labels_json: JSON.stringify(i.labels),
      }));
    let added = 0;
    await this.db.transaction().execute(async (trx) => {
      for (let i = 0; i < rows.length; i += 250) {
        const r = await trx
          .insertInto("alert_history")
          .values(rows.slice(i, i + 250))
          .onConflict((oc) => oc.columns(["fingerprint", "starts_at", "status"]).doNothing())
          .executeTakeFirst();
        added += Number(r.numInsertedOrUpdatedRows ?? 0);
      }
    });
    return added;
  }

  /** One alert's notifications, newest episode first (at most `limit` rows). */
  async alertHistory(fingerprint: string, limit = 200): Promise<AlertHistoryEntry[]> {
    const n = Math.min(Math.max(Math.trunc(limit), 1), 1000);
    const rows = await this.db
      .selectFrom("alert_history")
      .selectAll()
      .where("fingerprint", "=", fingerprint.slice(0, 256))
      .orderBy("starts_at", "desc")
      .orderBy("seq", "desc")
      .limit(n)
      .execute();
    return rows.map(toHistoryEntry);
  }

  /**
   * Alerts whose latest episode resolved since `since` (no later firing episode), newest first: the
   * list's "Recently resolved".
   */
  async recentlyResolved(since: string, limit = 200): Promise<AlertHistoryEntry[]> {
    const n = Math.min(Math.max(Math.trunc(limit), 1), 1000);
    const rows = await this.db
      .selectFrom("alert_history as h")
      .selectAll("h")
      .where("h.status", "=", "resolved")
      .where("h.received_at", ">=", since)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("alert_history as f")
              .select("f.seq")
              .whereRef("f.fingerprint", "=", "h.fingerprint")
              .where("f.status", "=", "firing")
              .whereRef("f.starts_at", ">", "h.starts_at"),
          ),
        ),
      )
      .orderBy("h.received_at", "desc")
      .orderBy("h.seq", "desc")
      .limit(n * 4)
      .execute();
    const seen = new Set<string>();
    const out: AlertHistoryEntry[] = [];
    for (const r of rows) {
      if (seen.has(r.fingerprint)) continue;
      seen.add(r.fingerprint);
      out.push(toHistoryEntry(r));
      if (out.length >= n) break;
    }
    return out;
  }

  /** Delete the rows `select` names, a batch at a time, yielding between batches; returns how many went. */
  private async deleteInBatches(
    batch: number,
    select: (db: Db) => { execute(): Promise<{ id: string }[]> },
    table: "jobs" | "audit",
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = (await select(this.db).execute()).map((r) => r.id);
      if (ids.length === 0) return total;
      const r = await this.db.deleteFrom(table).where("id", "in", ids).executeTakeFirst();
      total += Number(r.numDeletedRows);
      if (ids.length < batch) return total;
      await yieldToEventLoop();
    }
  }

  /**
   * Run fn alone for this key: queued in memory within the process, and across processes under a lease
   * in the locks table (SQLite) or a PostgreSQL advisory lock (replicas; no lease, no clock skew, freed
   * when a holder's connection dies).
   * @throws AppError timeout (SQLite) or conflict (PostgreSQL) when another process holds the lock too long; whatever fn throws.
   */
  runExclusive<T>(key: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    if (key.length === 0 || key.length > 512) {
      return Promise.reject(new AppError("unprocessable", "Lock key must be 1 to 512 characters."));
    }
    const advisory = this.advisory;
    if (advisory) return this.mutex.run(key, () => advisory.withLock(key, fn, options));
    return this.mutex.run(key, () => this.locks.withLock(key, fn, options));
  }

  /** Append to the audit log. */
  async addAudit(actor: string, action: string, target: string, details: Record<string, unknown> = {}): Promise<AuditEntry> {
    const entry: AuditEntry = { id: randomUUID(), at: this.iso(), actor: actor.slice(0, 256), action: action.slice(0, 128), target: target.slice(0, 512), details };
    let detailsJson = JSON.stringify(details);
    if (detailsJson.length > 64 * 1024) detailsJson = JSON.stringify({ truncated: true });
    await this.db
      .insertInto("audit")
      .values({ id: entry.id, at: entry.at, actor: entry.actor, action: entry.action, target: entry.target, details_json: detailsJson })
      .execute();
    return entry;
  }

  /** Record an engineer's feedback on an analysis as its latest; earlier ones stay as its history. */
  addFeedback(f: NewFeedback): Promise<Feedback> {
    return insertFeedback(this.db, f, this.iso());
  }

  /** One feedback by its id, or undefined. */
  getFeedback(id: string): Promise<Feedback | undefined> {
    return getFeedback(this.db, id);
  }

  /** One analysis's feedback, newest (the one that counts) first. */
  feedbackHistory(analysisId: string, limit?: number): Promise<Feedback[]> {
    return feedbackHistory(this.db, analysisId, limit);
  }

  /** The latest feedback of each of these analyses that has one (history list, similar incidents); one query per 500 ids. */
  feedbackFor(analysisIds: readonly string[]): Promise<Map<string, Feedback>> {
    return latestFeedbackFor(this.db, analysisIds);
  }

  /** Record what became of a feedback's comment on the incident's issue. */
  setFeedbackComment(id: string, status: CommentStatus, url?: string): Promise<void> {
    return setFeedbackComment(this.db, id, status, url);
  }

  /** The latest feedback of every analysis made in the period, with its source: what accuracy is computed over. */
  feedbackCases(filter: CaseFilter = {}): Promise<FeedbackCaseRow[]> {
    return feedbackCases(this.db, filter);
  }

  /** A page (oldest first, after the cursor) of the analyses with feedback in the period, in full, with their latest feedback. */
  async feedbackCasePage(filter: CaseFilter & { after?: { createdAt: string; id: string }; limit: number }): Promise<{ analysis: Analysis; feedback: Feedback }[]> {
    const page = await feedbackCasePage(this.db, filter);
    if (!page.length) return [];
    const rows = await this.db.selectFrom("analyses").selectAll().where("id", "in", page.map((p) => p.feedback.analysisId)).execute();
    const byId = new Map(rows.map((r) => [r.id, toAnalysis(r)]));
    return page.flatMap((p) => {
      const analysis = byId.get(p.feedback.analysisId);
      return analysis ? [{ analysis, feedback: p.feedback }] : [];
    });
  }

  /** Audit entries, newest first. */
  async listAudit(filter: { target?: string; action?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(Math.trunc(filter.limit ?? 100), 1), 1000);
    let q = this.db.selectFrom("audit").selectAll();
    if (filter.target) q = q.where("target", "=", filter.target);
    if (filter.action) q = q.where("action", "=", filter.action);
    const rows = await q.orderBy("at", "desc").orderBy("id", "desc").limit(limit).execute();
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      target: r.target,
      details: parseJson(z.record(z.string(), z.unknown()), r.details_json) ?? {},
    }));
  }

  /** Record a signed-out session id until its cookie would have expired anyway; drops expired entries. */
  async revokeSession(sid: string, expiresAt: Date): Promise<void> {
    const now = this.iso();
    await this.db.deleteFrom("revoked_sessions").where("expires_at", "<=", now).execute();
    await this.db
      .insertInto("revoked_sessions")
      .values({ sid, expires_at: expiresAt.toISOString() })
      .onConflict((oc) => oc.column("sid").doNothing())
      .execute();
  }

  /** Whether sign-out revoked this session id. */
  async isSessionRevoked(sid: string): Promise<boolean> {
    const row = await this.db.selectFrom("revoked_sessions").select("sid").where("sid", "=", sid).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Add many jobs in one transaction (a webhook's slice of resolved alerts); those whose dedupKey
   * exists are skipped. Returns the dedup keys that were new.
   * @throws AppError unprocessable when an input is out of bounds (nothing is written then).
   */
  async enqueueJobs(jobs: readonly NewJob[]): Promise<Set<string>> {
    const valid = jobs.map((j) => validate(newJobSchema, j, "job"));
    const now = this.iso();
    return this.db.transaction().execute(async (trx) => {
      const created = new Set<string>();
      for (let i = 0; i < valid.length; i += 250) {
        const rows = await trx
          .insertInto("jobs")
          .values(valid.slice(i, i + 250).map((j) => jobRow(j, now)))
          .onConflict((oc) => oc.column("dedup_key").doNothing())
          .returning("dedup_key")
          .execute();
        for (const r of rows) created.add(r.dedup_key);
      }
      return created;
    });
  }

  /**
   * Record webhook alerts refused one by one, keeping only the newest `keep` rows (bounded retention).
   * @throws AppError unprocessable when an input is out of bounds (nothing is written then).
   */
  async recordRejectedAlerts(items: readonly NewRejectedAlert[], keep = 1000): Promise<void> {
    if (!items.length) return;
    const limit = Math.min(Math.max(Math.trunc(keep), 1), 100_000);
    const valid = items.slice(-limit).map((i) => validate(newRejectedAlertSchema, i, "rejected alert"));
    const now = this.iso();
    await this.db.transaction().execute(async (trx) => {
      // Two replicas numbering at once would both read the same max: on PostgreSQL, one waits for the other.
      if (this.dialect === "postgres") await sql`lock table rejected_alerts in share row exclusive mode`.execute(trx);
      const top = await trx.selectFrom("rejected_alerts").select((eb) => eb.fn.max("seq").as("m")).executeTakeFirst();
      const base = Number(top?.m ?? 0);
      for (let i = 0; i < valid.length; i += 250) {
        await trx
          .insertInto("rejected_alerts")
          .values(
            valid.slice(i, i + 250).map((r, k) => ({
              seq: base + i + k + 1,
              received_at: now,
              receiver: r.receiver ?? null,
              request_id: r.requestId ?? null,
              fingerprint: r.fingerprint ?? null,
              labels_json: JSON.stringify(r.labels),
              reason: r.reason,
            })),
          )
          .execute();
      }
      await trx.deleteFrom("rejected_alerts").where("seq", "<=", base + valid.length - limit).execute();
    });
  }

  /** Webhook alerts refused one by one, newest first, and how many are kept. */
  async listRejectedAlerts(limit = 20): Promise<{ total: number; items: RejectedAlert[] }> {
    const n = Math.min(Math.max(Math.trunc(limit), 1), 1000);
    const [count, rows] = await Promise.all([
      this.db.selectFrom("rejected_alerts").select((eb) => eb.fn.countAll().as("n")).executeTakeFirst(),
      this.db.selectFrom("rejected_alerts").selectAll().orderBy("seq", "desc").limit(n).execute(),
    ]);
    return {
      total: Number(count?.n ?? 0),
      items: rows.map((r) => ({
        receivedAt: r.received_at,
        receiver: opt(r.receiver),
        requestId: opt(r.request_id),
        fingerprint: opt(r.fingerprint),
        labels: parseJson(z.record(z.string(), z.string()), r.labels_json) ?? {},
        reason: r.reason,
      })),
    };
  }

  /**
   * Readiness: one round trip to the database.
   * @throws AppError unavailable when the database does not answer.
   */
  async ping(): Promise<void> {
    try {
      await sql`select 1`.execute(this.db);
    } catch (e) {
      if (isAppError(e)) throw e;
      throw new AppError("unavailable", `Database not reachable: ${describeError(e)}`, { hint: this.writeHint() });
    }
  }

  /**
   * Readiness: a real write. In one transaction, write a 16 KiB row and remove it again, and stamp the
   * health row: a store without room for 16 KiB more (a full disk, a database at its size limit), a
   * read-only file or an I/O error fails here. The answer is cached for probeCacheMs so frequent probes cost one write per period.
   * @throws AppError unavailable naming the cause and what to do.
   */
  checkWritable(): Promise<void> {
    const t = performance.now();
    if (this.probe && t - this.probe.at < this.probeCacheMs) return this.probe.result;
    const result = this.writeProbe();
    this.probe = { at: t, result };
    // A failed probe is cached too, but must not count as an unhandled rejection while nobody awaits it.
    result.catch(() => undefined);
    return result;
  }

  private async writeProbe(): Promise<void> {
    const at = this.iso();
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .insertInto("health")
          .values({ key: "pad", at, pad: PROBE_PAD })
          .onConflict((oc) => oc.column("key").doUpdateSet({ at, pad: PROBE_PAD }))
          .execute();
        await trx.deleteFrom("health").where("key", "=", "pad").execute();
        await trx
          .insertInto("health")
          .values({ key: "probe", at, pad: null })
          .onConflict((oc) => oc.column("key").doUpdateSet({ at }))
          .execute();
      });
    } catch (e) {
      if (isAppError(e)) throw e;
      throw new AppError("unavailable", `The store cannot write: ${describeError(e)}`, { hint: this.writeHint() });
    }
  }

  private writeHint(): string {
    return this.dialect === "postgres"
      ? "Check DATABASE_URL, that the PostgreSQL server answers and that its role may write (GRANT INSERT, UPDATE, DELETE)."
      : "Check DATABASE_URL and that its file and folder are writable.";
  }

  /** Close the connection. */
  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function sqlitePath(databaseUrl: string): string {
  if (databaseUrl === ":memory:") return databaseUrl;
  if (databaseUrl.startsWith("file://")) return fileURLToPath(databaseUrl);
  if (databaseUrl.startsWith("file:")) return databaseUrl.slice("file:".length);
  if (parseDatabaseUrl(databaseUrl)?.engine === "postgres") {
    throw new AppError("bad_request", `${redactDatabaseUrl(databaseUrl)} is a PostgreSQL database; this works on SQLite files only.`, {
      hint: "Back PostgreSQL up with pg_dump (README: PostgreSQL).",
    });
  }
  throw new AppError("not_configured", `Unsupported DATABASE_URL "${redactDatabaseUrl(databaseUrl)}".`, {
    hint: "Use file:<path> for SQLite, e.g. file:./data/triage.sqlite, :memory: for a throw-away store, or postgres://user:password@host:5432/database for PostgreSQL.",
  });
}

/**
 * Refuse a database that has migrations this build does not know: a newer image applied them, and this
 * older one (a rollback) would run against a schema it was not written for.
 * @throws AppError not_configured naming the unknown migrations and the two ways out.
 */
async function checkNoUnknownMigrations(db: Kysely<Database>): Promise<void> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === "kysely_migration")) return;
  const rows = await sql<{ name: string; timestamp: string }>`select "name", "timestamp" from kysely_migration order by "name"`.execute(db);
  const known = new Set(knownMigrations);
  const unknown = rows.rows.filter((r) => !known.has(r.name));
  if (unknown.length === 0) return;
  const names = unknown.map((r) => `${r.name} (applied ${r.timestamp})`).join(", ");
  throw new AppError(
    "not_configured",
    `The database has migration${unknown.length === 1 ? "" : "s"} this build does not know: ${names}. A newer version of the console upgraded it; this older one will not run on that schema.`,
    {
      hint: `Roll forward to the image that applied ${unknown[unknown.length - 1]?.name}, or restore the backup taken before the upgrade (README: Upgrades and backups). This build knows migrations up to ${knownMigrations[knownMigrations.length - 1]}.`,
    },
  );
}

/** Whether every migration this build knows is applied (and the locks table exists). */
async function isMigrated(db: Kysely<Database>): Promise<boolean> {
  const tables = new Set((await db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name));
  if (!tables.has("kysely_migration") || !tables.has("locks")) return false;
  const rows = await sql<{ name: string }>`select "name" from kysely_migration`.execute(db);
  const applied = new Set(rows.rows.map((r) => r.name));
  return knownMigrations.every((m) => applied.has(m));
}

/**
 * Open the store: create the folder, open SQLite in WAL mode with a busy timeout, refuse a schema newer
 * than this build, apply migrations.
 * @throws AppError not_configured when the URL or file is unusable or the schema is newer than this build,
 * unavailable when the disk refuses writes, internal when a migration fails.
 */
export async function openStore(databaseUrl: string, options: StoreOptions = {}): Promise<Store> {
  if (parseDatabaseUrl(databaseUrl)?.engine === "postgres") return openPostgresStore(databaseUrl, options);
  const path = sqlitePath(databaseUrl);
  let sqlite: SqliteDatabase.Database;
  try {
    if (path !== ":memory:") mkdirSync(dirname(resolve(/*turbopackIgnore: true*/ path)), { recursive: true });
    sqlite = new SqliteDatabase(path);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    // NORMAL under WAL survives a killed process; only a power loss can drop the last commits.
    sqlite.pragma("synchronous = NORMAL");
  } catch (e) {
    throw new AppError("not_configured", `Cannot open the database at ${path}: ${describeError(e)}`, {
      hint: "Point DATABASE_URL at a writable location, e.g. file:./data/triage.sqlite.",
    });
  }
  const ref: { store?: Store } = {};
  const cached = withStatementCache(sqlite);
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: guardedDatabase(sqlite, () => ref.store?.storageFailed(), (text) => cached.prepare(text)) }),
  });
  const store = new Store(db, options.now ?? (() => new Date()), options.probeCacheMs);
  ref.store = store;
  try {
    await checkNoUnknownMigrations(db);
    await createLocksTable(db);
    // SQLite's migrator takes no lock of its own: two processes starting together serialise here.
    const result = await store.locks.withLock(
      "store:migrations",
      async () => {
        // Again under the lock: a newer process may have migrated while this one waited.
        await checkNoUnknownMigrations(db);
        return new Migrator({ db, provider: migrationProvider }).migrateToLatest();
      },
      { ttlMs: 60_000 },
    );
    if (result.error) throw result.error;
  } catch (e) {
    await db.destroy();
    if (isAppError(e)) throw e;
    throw new AppError("internal", `Database migration failed: ${describeError(e)}`, {
      hint: "Check that DATABASE_URL points at this console's database and that no older build is writing to it.",
      cause: e,
    });
  }
  return store;
}

/**
 * Open the store on PostgreSQL: a pool, then, under a session advisory lock so replicas starting together
 * migrate one at a time, the newer-schema check and the migrations.
 * @throws AppError unavailable when the server is unreachable, not_configured for a refused login, a
 * missing database, missing rights or a newer schema, internal when a migration fails.
 */
async function openPostgresStore(url: string, options: StoreOptions): Promise<Store> {
  const { createPostgresDialect, postgresFailure, withAdvisoryLock } = await import("@/lib/store/postgres");
  const poolSize = Math.max(2, Math.trunc(options.poolSize ?? 10));
  const { dialect, pool } = await createPostgresDialect(url, { ...options, poolSize });
  const db = new Kysely<Database>({ dialect });
  // A lock holder keeps one pooled connection while fn needs others: at most half the pool (and 4) hold locks,
  // or a small DATABASE_POOL_SIZE deadlocks every filing until the connect timeout.
  const store = new Store(db, options.now ?? (() => new Date()), options.probeCacheMs, Math.max(1, Math.min(4, Math.floor(poolSize / 2))));
  try {
    const result = await withAdvisoryLock(pool, url, async () => {
      await checkNoUnknownMigrations(db);
      // A schema already at this build's version needs no DDL, so a role with data rights only (the owner
      // migrated) may run the console: even CREATE TABLE IF NOT EXISTS needs CREATE on the schema.
      if (await isMigrated(db)) return {};
      await createLocksTable(db);
      return new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    });
    if (result.error) throw result.error;
  } catch (e) {
    await db.destroy();
    if (isAppError(e)) throw e;
    throw (
      postgresFailure(e, url) ??
      new AppError("internal", `Database migration failed on ${redactDatabaseUrl(url)}: ${describeError(e)}`, {
        hint: "Check that DATABASE_URL points at this console's database and that no older build is writing to it.",
        cause: e,
      })
    );
  }
  return store;
}

export interface BackupResult {
  /** Where the backup was written. */
  path: string;
  pages: number;
  bytes: number;
  /** SQLite's integrity_check of the written copy: "ok", or its first complaint. */
  integrity: string;
  analyses: number;
}

/**
 * Copy the database at databaseUrl to dest with SQLite's online backup, while the console keeps
 * writing: pages are copied in steps (a write from another process restarts the copy, so after a
 * restart the rest goes in one step, a consistent snapshot). The copy goes to a temporary file beside
 * dest, is switched from WAL to a single self-contained file, checked (integrity_check) and renamed into
 * place. Opens the database without migrating it.
 * @throws AppError conflict when dest exists and force is not set, not_found when there is no database,
 * bad_request for :memory: or a folder; SQLite's own error when the destination's disk refuses.
 */
export async function backupDatabase(
  databaseUrl: string,
  dest: string,
  options: { force?: boolean; onProgress?: (copied: number, total: number) => void } = {},
): Promise<BackupResult> {
  const source = sqlitePath(databaseUrl);
  if (source === ":memory:") throw new AppError("bad_request", "DATABASE_URL is :memory:; there is nothing on disk to back up.", { hint: "Set DATABASE_URL to the console's file:<path>." });
  const target = resolve(/*turbopackIgnore: true*/ dest);
  if (target === resolve(/*turbopackIgnore: true*/ source)) throw new AppError("bad_request", `The backup destination ${dest} is the database itself.`, { hint: "Name a file elsewhere, ideally on another volume." });
  if (existsSync(target) && !options.force) {
    throw new AppError("conflict", `${dest} already exists; refusing to overwrite it.`, { hint: "Choose a new file name, or pass --force to replace it." });
  }
  if (existsSync(target) && statSync(target).isDirectory()) throw new AppError("bad_request", `${dest} is a folder.`, { hint: "Name the backup file, e.g. /backup/triage-2026-12-06.sqlite." });
  if (!existsSync(dirname(target))) throw new AppError("not_found", `The folder ${dirname(target)} does not exist.`, { hint: "Create it first, or name a file in an existing folder." });
  let sqlite: SqliteDatabase.Database;
  try {
    sqlite = new SqliteDatabase(source, { fileMustExist: true });
    sqlite.pragma("busy_timeout = 5000");
  } catch (e) {
    throw new AppError("not_found", `No database to back up at ${source}: ${describeError(e)}`, { hint: "Check DATABASE_URL: the backup reads the console's existing database." });
  }
  const tmp = `${target}.partial-${process.pid}`;
  try {
    let previous = Infinity;
    let restarted = false;
    const info = await sqlite.backup(tmp, {
      progress({ totalPages, remainingPages }) {
        if (remainingPages > previous) restarted = true;
        previous = remainingPages;
        options.onProgress?.(totalPages - remainingPages, totalPages);
        return restarted ? 0x7fffffff : 1024;
      },
    });
    const copy = new SqliteDatabase(tmp);
    let integrity: string;
    let analyses = 0;
    try {
      copy.pragma("journal_mode = DELETE");
      integrity = String(copy.pragma("integrity_check", { simple: true }));
      const hasAnalyses = copy.prepare("select 1 from sqlite_master where type = 'table' and name = 'analyses'").get() !== undefined;
      if (hasAnalyses) analyses = Number(copy.prepare("select count(*) from analyses").pluck().get());
    } finally {
      copy.close();
    }
    if (integrity !== "ok") throw new AppError("internal", `The backup failed its integrity check: ${integrity}`, { hint: "Run the backup again; if it repeats, check the source with sqlite3 and PRAGMA integrity_check." });
    if (existsSync(target) && !options.force) throw new AppError("conflict", `${dest} appeared while the backup ran; refusing to overwrite it.`, { hint: "Choose a new file name, or pass --force." });
    renameSync(tmp, target);
    return { path: target, pages: info.totalPages, bytes: statSync(target).size, integrity, analyses };
  } finally {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
    sqlite.close();
  }
}
