import type { Kysely, Migration, MigrationProvider } from "kysely";
import { dialectOf } from "@/lib/store/dialect";
import type { Database } from "@/lib/store/schema";

/**
 * Schema migrations, in code so they ship inside the Next.js bundle and the CLI alike. Append new
 * entries; never edit an applied one. `ifNotExists` everywhere because SQLite has no migration lock
 * of its own (openStore serialises through the locks table, this is the second line of defence; on
 * PostgreSQL through a session advisory lock). Each runs on both engines: portable types (text,
 * integer, real), and a `dialectOf(db)` branch only where PostgreSQL needs its own (a sequence number
 * SQLite's rowid gives for free, a counter past 2^31).
 */

/** The locks table exists before migrations run, so the migration itself can take a lock. */
export async function createLocksTable(db: Kysely<Database>): Promise<void> {
  await db.schema
    .createTable("locks")
    .ifNotExists()
    .addColumn("key", "text", (c) => c.primaryKey())
    .addColumn("owner", "text", (c) => c.notNull())
    .addColumn("expires_at", "text", (c) => c.notNull())
    .execute();
}

const initial: Migration = {
  async up(db) {
    await db.schema
      .createTable("analyses")
      .ifNotExists()
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("fingerprint", "text", (c) => c.notNull())
      .addColumn("alertname", "text")
      .addColumn("severity", "text")
      .addColumn("cluster", "text")
      .addColumn("namespace", "text")
      .addColumn("pod", "text")
      .addColumn("container", "text")
      .addColumn("episode", "text")
      .addColumn("alert_json", "text")
      .addColumn("target_json", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("resolved_at", "text")
      .addColumn("trigger", "text", (c) => c.notNull())
      .addColumn("started_by", "text")
      .addColumn("bundle_json", "text")
      .addColumn("report_json", "text")
      .addColumn("markdown", "text")
      .addColumn("source", "text")
      .addColumn("model", "text")
      .addColumn("input_tokens", "integer")
      .addColumn("output_tokens", "integer")
      .addColumn("duration_ms", "integer")
      .addColumn("timings_json", "text")
      .addColumn("progress_json", "text")
      .addColumn("top_hypothesis", "text")
      .addColumn("top_likelihood", "text")
      .addColumn("error", "text")
      .addColumn("issue_number", "integer")
      .addColumn("issue_url", "text")
      .addColumn("issue_action", "text")
      .addColumn("filed_by", "text")
      .addColumn("filed_at", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("started_at", "text")
      .addColumn("finished_at", "text")
      .execute();
    await db.schema.createIndex("analyses_fingerprint_created").ifNotExists().on("analyses").columns(["fingerprint", "created_at"]).execute();
    await db.schema.createIndex("analyses_created").ifNotExists().on("analyses").column("created_at").execute();
    await db.schema.createIndex("analyses_namespace").ifNotExists().on("analyses").column("namespace").execute();

    await db.schema
      .createTable("jobs")
      .ifNotExists()
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("dedup_key", "text", (c) => c.notNull().unique())
      .addColumn("payload_json", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("max_attempts", "integer", (c) => c.notNull())
      .addColumn("last_error", "text")
      .addColumn("run_after", "text", (c) => c.notNull())
      .addColumn("locked_by", "text")
      .addColumn("locked_at", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("analysis_id", "text")
      .execute();
    await db.schema.createIndex("jobs_status_run_after").ifNotExists().on("jobs").columns(["status", "run_after", "created_at"]).execute();

    await db.schema
      .createTable("issues")
      .ifNotExists()
      .addColumn("fingerprint", "text", (c) => c.primaryKey())
      .addColumn("number", "integer", (c) => c.notNull())
      .addColumn("url", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();

    await createLocksTable(db);

    await db.schema
      .createTable("audit")
      .ifNotExists()
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("target", "text", (c) => c.notNull())
      .addColumn("details_json", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("audit_target_at").ifNotExists().on("audit").columns(["target", "at"]).execute();
  },
};

/** Claiming by kind (two workers) must not scan every queued job of the other kind. */
const jobsByKind: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex("jobs_status_kind_run_after").ifNotExists().on("jobs").columns(["status", "kind", "run_after", "created_at"]).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex("jobs_status_kind_run_after").ifExists().execute();
  },
};

/**
 * Job leases: a running job belongs to its owner (locked_by) only until lease_expires_at, which the
 * owner's heartbeat moves forward; only jobs whose lease has expired are requeued, so a second process
 * on the same file leaves a live one's jobs alone. Rows running under an older build have no lease and
 * count as expired. The analysis_id index serves the join check (is this analysis's job alive?) and
 * settling an analysis when its job ends; the status index finds the few active analyses.
 */
const jobLeases: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("jobs").addColumn("lease_expires_at", "text").execute();
    await db.schema.createIndex("jobs_status_lease").ifNotExists().on("jobs").columns(["status", "lease_expires_at"]).execute();
    await db.schema.createIndex("jobs_analysis").ifNotExists().on("jobs").columns(["analysis_id", "kind"]).execute();
    await db.schema.createIndex("analyses_status_fingerprint").ifNotExists().on("analyses").columns(["status", "fingerprint"]).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex("analyses_status_fingerprint").ifExists().execute();
    await db.schema.dropIndex("jobs_analysis").ifExists().execute();
    await db.schema.dropIndex("jobs_status_lease").ifExists().execute();
    await db.schema.alterTable("jobs").dropColumn("lease_expires_at").execute();
  },
};

/** Sign-out revokes the session server-side, so a copied cookie stops working at once. */
const revokedSessions: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("revoked_sessions")
      .ifNotExists()
      .addColumn("sid", "text", (c) => c.primaryKey())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("revoked_sessions").ifExists().execute();
  },
};

/** Webhook alerts refused one by one (the rest of their notification was stored): the last N, for the queue panel. */
const rejectedAlerts: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("rejected_alerts")
      .ifNotExists()
      // SQLite's integer is 64-bit; PostgreSQL's is 32 (the seq only grows).
      .addColumn("seq", dialectOf(db) === "postgres" ? "bigint" : "integer", (c) => c.primaryKey())
      .addColumn("received_at", "text", (c) => c.notNull())
      .addColumn("receiver", "text")
      .addColumn("request_id", "text")
      .addColumn("fingerprint", "text")
      .addColumn("labels_json", "text", (c) => c.notNull())
      .addColumn("reason", "text", (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("rejected_alerts").ifExists().execute();
  },
};

/**
 * Data lifecycle: a one-row `health` table the readiness probe writes (a real write, so a full or
 * read-only disk fails readiness); `issues.closed_at`, set when the console closes an issue, so pruning
 * can tell an open issue's analyses from a closed one's; indexes that let pruning find old jobs and
 * audit entries without scanning.
 */
const lifecycle: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("health")
      .ifNotExists()
      .addColumn("key", "text", (c) => c.primaryKey())
      .addColumn("at", "text", (c) => c.notNull())
      .addColumn("pad", "text")
      .execute();
    await db.schema.alterTable("issues").addColumn("closed_at", "text").execute();
    await db.schema.createIndex("jobs_status_updated").ifNotExists().on("jobs").columns(["status", "updated_at"]).execute();
    await db.schema.createIndex("audit_at").ifNotExists().on("audit").column("at").execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex("audit_at").ifExists().execute();
    await db.schema.dropIndex("jobs_status_updated").ifExists().execute();
    await db.schema.alterTable("issues").dropColumn("closed_at").execute();
    await db.schema.dropTable("health").ifExists().execute();
  },
};

/**
 * Alert history: every firing and resolved notification the webhook takes, one row per fingerprint,
 * startsAt and status (a redelivery is a no-op), so an alert page can show its episodes. Bounded by
 * age and count (HISTORY_DAYS, HISTORY_MAX_ROWS), pruned with the rest.
 */
const alertHistory: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("alert_history")
      .ifNotExists()
      // SQLite numbers an integer primary key itself (the rowid); PostgreSQL needs an identity, 64-bit as SQLite's.
      .addColumn("seq", dialectOf(db) === "postgres" ? "bigint" : "integer", (c) => (dialectOf(db) === "postgres" ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey()))
      .addColumn("fingerprint", "text", (c) => c.notNull())
      .addColumn("starts_at", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("ends_at", "text")
      .addColumn("received_at", "text", (c) => c.notNull())
      .addColumn("alertname", "text")
      .addColumn("namespace", "text")
      .addColumn("labels_json", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("alert_history_episode").ifNotExists().unique().on("alert_history").columns(["fingerprint", "starts_at", "status"]).execute();
    await db.schema.createIndex("alert_history_received").ifNotExists().on("alert_history").columns(["received_at"]).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("alert_history").ifExists().execute();
  },
};

/**
 * Shared rate limits: one row per key (action and user or client) and minute, counted with one upsert, so
 * every replica on a PostgreSQL database draws on one budget. SQLite (one replica) keeps its limits in
 * memory and leaves the table empty. The minute index serves the cleanup of past minutes.
 */
const rateLimits: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("rate_limits")
      .ifNotExists()
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("minute", "integer", (c) => c.notNull())
      .addColumn("hits", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("rate_limits_pk", ["key", "minute"])
      .execute();
    await db.schema.createIndex("rate_limits_minute").ifNotExists().on("rate_limits").column("minute").execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("rate_limits").ifExists().execute();
  },
};

/**
 * Failure signatures (lib/analysis/signature.ts): each finished analysis stores its signature hash, the
 * parts it was made of (for display) and its workload key, so earlier incidents of the same kind are found
 * by index: same signature on the same workload first, then elsewhere. `issue_states` caches whether a
 * GitHub issue is open or closed, so a page view does not ask GitHub every time.
 */
const failureSignatures: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable("analyses").addColumn("signature", "text").execute();
    await db.schema.alterTable("analyses").addColumn("signature_json", "text").execute();
    await db.schema.alterTable("analyses").addColumn("workload_key", "text").execute();
    await db.schema.createIndex("analyses_signature").ifNotExists().on("analyses").columns(["signature", "workload_key", "created_at"]).execute();
    await db.schema
      .createTable("issue_states")
      .ifNotExists()
      .addColumn("url", "text", (c) => c.primaryKey())
      .addColumn("number", "integer", (c) => c.notNull())
      .addColumn("state", "text", (c) => c.notNull())
      .addColumn("checked_at", "text", (c) => c.notNull())
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("issue_states").ifExists().execute();
    await db.schema.dropIndex("analyses_signature").ifExists().execute();
    await db.schema.alterTable("analyses").dropColumn("workload_key").execute();
    await db.schema.alterTable("analyses").dropColumn("signature_json").execute();
    await db.schema.alterTable("analyses").dropColumn("signature").execute();
  },
};

/**
 * Feedback (issue 19): one row per submission, history kept; `latest` marks the row that counts, so the
 * history list, the accuracy page and the export read one row per analysis through an index.
 */
const feedback: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("feedback")
      .ifNotExists()
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("analysis_id", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("verdict_rank", "integer")
      .addColumn("hypothesis_title", "text")
      .addColumn("actual_cause", "text")
      .addColumn("fix", "text", (c) => c.notNull())
      .addColumn("category", "text")
      .addColumn("latest", "integer", (c) => c.notNull())
      .addColumn("comment_status", "text", (c) => c.notNull())
      .addColumn("comment_url", "text")
      .execute();
    await db.schema.createIndex("feedback_analysis_created").ifNotExists().on("feedback").columns(["analysis_id", "created_at"]).execute();
    await db.schema.createIndex("feedback_latest_analysis").ifNotExists().on("feedback").columns(["latest", "analysis_id"]).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("feedback").ifExists().execute();
  },
};

const migrations: Record<string, Migration> = {
  "2026_01_001_initial": initial,
  "2026_11_002_jobs_by_kind": jobsByKind,
  "2026_12_003_job_leases": jobLeases,
  "2026_12_004_rejected_alerts": rejectedAlerts,
  "2026_12_005_revoked_sessions": revokedSessions,
  "2026_12_006_lifecycle": lifecycle,
  "2026_12_007_alert_history": alertHistory,
  "2026_12_008_failure_signatures": failureSignatures,
  "2026_12_009_feedback": feedback,
  "2026_12_011_rate_limits": rateLimits,
};

/** The names of the migrations this build knows, oldest first. */
export const knownMigrations: readonly string[] = Object.keys(migrations).sort();

/** Kysely's Migrator reads the migrations from here instead of a folder. */
export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
