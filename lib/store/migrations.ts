import { sql, type Kysely, type Migration, type MigrationProvider } from "kysely";
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

/**
/** The searchable columns, in FTS order (bm25 weights in lib/store/store.ts follow it). */
const SEARCH_COLUMNS = ["alertname", "namespace", "pod", "cluster", "causes", "evidence"] as const;

/** Drop the snippet markers (STX, ETX) from indexed text, so a highlight is always the engine's own. */
const noMarkers = (e: string) => `replace(replace(${e}, char(2), ' '), char(3), ' ')`;

/**
 * SQLite: the search document of the analyses row `r` (a trigger's new, or a table alias), one SQL
 * expression per SEARCH_COLUMNS entry. The report is read only when it is valid JSON, so a broken
 * row cannot fail the write that carries it.
 */
function sqliteDocument(r: string): string[] {
  const rep = `${r}.report_json`;
  const ok = `json_valid(${rep})`;
  return [
    `${r}.alertname`,
    `${r}.namespace`,
    `trim(coalesce(${r}.pod, '') || ' ' || coalesce(${r}.container, '') || ' ' || coalesce(case when ${ok} then json_extract(${rep}, '$.analyzedPod.pod') end, ''))`,
    `${r}.cluster`,
    `case when ${ok} then ${noMarkers(`coalesce(json_extract(${rep}, '$.summary'), '') || char(10) || coalesce((select group_concat(coalesce(json_extract(h.value, '$.title'), '') || ': ' || coalesce(json_extract(h.value, '$.explanation'), ''), char(10)) from json_each(${rep}, '$.hypotheses') h), '')`)} end`,
    `case when ${ok} then ${noMarkers(`(select group_concat(json_extract(e.value, '$.text'), char(10)) from json_each(${rep}, '$.hypotheses') h, json_each(h.value, '$.evidence') e)`)} end`,
  ];
}

/**
 * PostgreSQL: one function builds the search document from a row's columns, immutable so a stored
 * generated column can call it. Punctuation is turned into spaces first, so words are runs of letters
 * and digits as in SQLite's unicode61 (PostgreSQL's own parser would keep vllm-7d9f or 10.0.0.1 whole)
 * and both engines answer a query alike. Weights: names A, cluster B, causes B, evidence C.
 * jsonb refuses the escape \u0000 (a NUL from a log line, as JSON.stringify writes it) and the cast would
 * fail the row's every write: the document reads it as \ufffd (still valid JSON, the stored text unchanged).
 */
const PG_DOCUMENT_FUNCTION = `
create or replace function analysis_search_document(alertname text, namespace text, pod text, container text, cluster text, report_json text)
returns tsvector language sql immutable parallel safe as $fn$
  select
    setweight(to_tsvector('simple', regexp_replace(concat_ws(' ', alertname, namespace, pod, container, r #>> '{analyzedPod,pod}'), '[^[:alnum:]]+', ' ', 'g')), 'A')
    || setweight(to_tsvector('simple', regexp_replace(coalesce(cluster, ''), '[^[:alnum:]]+', ' ', 'g')), 'B')
    || setweight(to_tsvector('simple', regexp_replace(concat_ws(' ', r ->> 'summary',
         (select string_agg(concat_ws(' ', h ->> 'title', h ->> 'explanation'), ' ') from jsonb_array_elements(case when jsonb_typeof(r -> 'hypotheses') = 'array' then r -> 'hypotheses' else '[]'::jsonb end) h)),
         '[^[:alnum:]]+', ' ', 'g')), 'B')
    || setweight(to_tsvector('simple', regexp_replace(coalesce(
         (select string_agg(e ->> 'text', ' ') from jsonb_array_elements(case when jsonb_typeof(r -> 'hypotheses') = 'array' then r -> 'hypotheses' else '[]'::jsonb end) h,
            jsonb_array_elements(case when jsonb_typeof(h -> 'evidence') = 'array' then h -> 'evidence' else '[]'::jsonb end) e), ''),
         '[^[:alnum:]]+', ' ', 'g')), 'C')
  from (select case when report_json is null then null else replace(report_json, E'\\\\u0000', E'\\\\ufffd')::jsonb end as r) x
$fn$`;

/**
 * History search. SQLite: `analysis_search` holds each analysis's document (names, causes, quoted
 * evidence), kept by triggers on analyses (insert, an update of a searched column, delete: a report
 * written late or rewritten is re-indexed, a pruned analysis leaves), and an FTS5 external-content index
 * over it (unicode61, prefix indexes of 2 to 4 characters) kept by the usual three triggers. Its own
 * integer key, not analyses' rowid, which VACUUM may renumber. PostgreSQL: a stored generated tsvector
 * column on analyses and a GIN index; a row's update recomputes it, a delete takes it along (migration
 * 012 moves it to a side table).
 */
const search: Migration = {
  async up(db: Kysely<unknown>) {
    if (dialectOf(db) === "postgres") {
      await sql.raw(PG_DOCUMENT_FUNCTION).execute(db);
      await sql
        .raw(
          "alter table analyses add column if not exists search tsvector generated always as (analysis_search_document(alertname, namespace, pod, container, cluster, report_json)) stored",
        )
        .execute(db);
      await sql.raw("create index if not exists analyses_search on analyses using gin (search)").execute(db);
      return;
    }
    const cols = SEARCH_COLUMNS.join(", ");
    const of = (r: string) => SEARCH_COLUMNS.map((c) => `${r}.${c}`).join(", ");
    // The filter and ranking columns sit before the text, so reading them never touches the rest of the row.
    await sql
      .raw(
        `create table if not exists analysis_search (seq integer primary key, analysis_id text not null unique, created_at text not null, status text, source text, ${SEARCH_COLUMNS.map((c) => `${c} text`).join(", ")})`,
      )
      .execute(db);
    await sql
      .raw(`create virtual table if not exists analysis_search_fts using fts5(${cols}, content='analysis_search', content_rowid='seq', tokenize='unicode61', prefix='2 3 4')`)
      .execute(db);
    await sql.raw(`create trigger if not exists analysis_search_ai after insert on analysis_search begin insert into analysis_search_fts(rowid, ${cols}) values (new.seq, ${of("new")}); end`).execute(db);
    await sql
      .raw(`create trigger if not exists analysis_search_ad after delete on analysis_search begin insert into analysis_search_fts(analysis_search_fts, rowid, ${cols}) values ('delete', old.seq, ${of("old")}); end`)
      .execute(db);
    // Only a change of the text touches the index; a status change does not.
    await sql
      .raw(
        `create trigger if not exists analysis_search_au after update of ${cols} on analysis_search begin insert into analysis_search_fts(analysis_search_fts, rowid, ${cols}) values ('delete', old.seq, ${of("old")}); insert into analysis_search_fts(rowid, ${cols}) values (new.seq, ${of("new")}); end`,
      )
      .execute(db);
    const upsert = (r: string) =>
      `insert into analysis_search(analysis_id, created_at, status, source, ${cols}) values (${r}.id, ${r}.created_at, ${r}.status, ${r}.source, ${sqliteDocument(r).join(", ")}) on conflict(analysis_id) do update set status = excluded.status, source = excluded.source, ${SEARCH_COLUMNS.map((c) => `${c} = excluded.${c}`).join(", ")}`;
    await sql.raw(`create trigger if not exists analyses_search_ai after insert on analyses begin ${upsert("new")}; end`).execute(db);
    await sql
      .raw(`create trigger if not exists analyses_search_au after update of alertname, namespace, pod, container, cluster, report_json on analyses begin ${upsert("new")}; end`)
      .execute(db);
    await sql
      .raw("create trigger if not exists analyses_search_state after update of status, source on analyses begin update analysis_search set status = new.status, source = new.source where analysis_id = new.id; end")
      .execute(db);
    await sql.raw("create trigger if not exists analyses_search_ad after delete on analyses begin delete from analysis_search where analysis_id = old.id; end").execute(db);
    // Analyses stored before this migration, oldest first: a rank window takes the newest matches by seq.
    await sql
      .raw(`insert into analysis_search(analysis_id, created_at, status, source, ${cols}) select a.id, a.created_at, a.status, a.source, ${sqliteDocument("a").join(", ")} from analyses a where true order by a.created_at, a.id on conflict(analysis_id) do nothing`)
      .execute(db);
  },
  async down(db: Kysely<unknown>) {
    if (dialectOf(db) === "postgres") {
      await sql.raw("drop index if exists analyses_search").execute(db);
      await sql.raw("alter table analyses drop column if exists search").execute(db);
      await sql.raw("drop function if exists analysis_search_document(text, text, text, text, text, text)").execute(db);
      return;
    }
    for (const t of ["analyses_search_ai", "analyses_search_au", "analyses_search_state", "analyses_search_ad", "analysis_search_ai", "analysis_search_ad", "analysis_search_au"]) {
      await sql.raw(`drop trigger if exists ${t}`).execute(db);
    }
    await sql.raw("drop table if exists analysis_search_fts").execute(db);
    await sql.raw("drop table if exists analysis_search").execute(db);
  },
};

/** The analyses columns the PostgreSQL search document is built from: a change of any of them re-indexes the row. */
const PG_DOCUMENT_COLUMNS = ["alertname", "namespace", "pod", "container", "cluster", "report_json"] as const;

/**
 * PostgreSQL: the search document moves from a generated column on analyses to a side table, as
 * SQLite's `analysis_search`: one narrow row per analysis (its key, created_at and the filter columns,
 * then the tsvector). Reading an analysis no longer carries a ~1 KB tsvector, an update of progress or
 * timings no longer re-parses the report, and a search visits only these rows: the newest matches are
 * cut by (created_at, analysis_id) and the filters read the same rows, so a GIN bitmap, a namespace or
 * alert name prefix (text_pattern_ops serves starts_with and =) and the window's order all come from
 * one table. Triggers keep it in step (insert, an update of a searched column, status and source); the
 * foreign key takes a pruned analysis's row along. SQLite: nothing (migration 010's table already is
 * this shape).
 */
const searchTable: Migration = {
  async up(db: Kysely<unknown>) {
    if (dialectOf(db) !== "postgres") return;
    await sql
      .raw(
        "create table if not exists analysis_search (analysis_id text primary key references analyses (id) on delete cascade, created_at text not null, status text, source text, alertname text, namespace text, document tsvector not null)",
      )
      .execute(db);
    const doc = (r: string) => `analysis_search_document(${PG_DOCUMENT_COLUMNS.map((c) => `${r}.${c}`).join(", ")})`;
    await sql
      .raw(
        `create or replace function analysis_search_upsert() returns trigger language plpgsql as $fn$
begin
  insert into analysis_search (analysis_id, created_at, status, source, alertname, namespace, document)
  values (new.id, new.created_at, new.status, new.source, new.alertname, new.namespace, ${doc("new")})
  on conflict (analysis_id) do update set created_at = excluded.created_at, status = excluded.status, source = excluded.source,
    alertname = excluded.alertname, namespace = excluded.namespace, document = excluded.document;
  return null;
end
$fn$`,
      )
      .execute(db);
    await sql
      .raw(
        `create or replace function analysis_search_state() returns trigger language plpgsql as $fn$
begin
  update analysis_search set status = new.status, source = new.source where analysis_id = new.id;
  return null;
end
$fn$`,
      )
      .execute(db);
    const cols = PG_DOCUMENT_COLUMNS.join(", ");
    const changed = (list: string) => `(${list.split(", ").map((c) => `old.${c}`).join(", ")}) is distinct from (${list.split(", ").map((c) => `new.${c}`).join(", ")})`;
    await sql.raw("drop trigger if exists analyses_search_ai on analyses").execute(db);
    await sql.raw("create trigger analyses_search_ai after insert on analyses for each row execute function analysis_search_upsert()").execute(db);
    await sql.raw("drop trigger if exists analyses_search_au on analyses").execute(db);
    await sql
      .raw(`create trigger analyses_search_au after update of ${cols}, created_at on analyses for each row when (${changed(`${cols}, created_at`)}) execute function analysis_search_upsert()`)
      .execute(db);
    await sql.raw("drop trigger if exists analyses_search_state on analyses").execute(db);
    await sql
      .raw(`create trigger analyses_search_state after update of status, source on analyses for each row when (${changed("status, source")}) execute function analysis_search_state()`)
      .execute(db);
    await sql
      .raw(
        `insert into analysis_search (analysis_id, created_at, status, source, alertname, namespace, document) select a.id, a.created_at, a.status, a.source, a.alertname, a.namespace, ${doc("a")} from analyses a order by a.created_at, a.id on conflict (analysis_id) do nothing`,
      )
      .execute(db);
    await sql.raw("create index if not exists analysis_search_document on analysis_search using gin (document)").execute(db);
    await sql.raw("create index if not exists analysis_search_created on analysis_search (created_at, analysis_id)").execute(db);
    await sql.raw("create index if not exists analysis_search_namespace on analysis_search (namespace text_pattern_ops)").execute(db);
    await sql.raw("create index if not exists analysis_search_alertname on analysis_search (alertname text_pattern_ops)").execute(db);
    // Dropping the column drops 010's GIN index with it.
    await sql.raw("alter table analyses drop column if exists search").execute(db);
  },
  async down(db: Kysely<unknown>) {
    if (dialectOf(db) !== "postgres") return;
    for (const t of ["analyses_search_ai", "analyses_search_au", "analyses_search_state"]) await sql.raw(`drop trigger if exists ${t} on analyses`).execute(db);
    await sql.raw("drop function if exists analysis_search_upsert()").execute(db);
    await sql.raw("drop function if exists analysis_search_state()").execute(db);
    await sql.raw("drop table if exists analysis_search").execute(db);
    await sql
      .raw(
        "alter table analyses add column if not exists search tsvector generated always as (analysis_search_document(alertname, namespace, pod, container, cluster, report_json)) stored",
      )
      .execute(db);
    await sql.raw("create index if not exists analyses_search on analyses using gin (search)").execute(db);
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
  "2026_12_010_search": search,
  "2026_12_011_rate_limits": rateLimits,
  "2026_12_012_search_table": searchTable,
};

/** The names of the migrations this build knows, oldest first. */
export const knownMigrations: readonly string[] = Object.keys(migrations).sort();

/** Kysely's Migrator reads the migrations from here instead of a folder. */
export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
