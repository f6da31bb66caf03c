import type { Generated } from "kysely";

/**
 * The database as Kysely sees it: snake_case columns, ISO-8601 text timestamps, JSON as text.
 * Only types that SQLite and PostgreSQL share, so a PostgreSQL dialect needs no query changes.
 */

export interface AnalysesTable {
  id: string;
  fingerprint: string;
  alertname: string | null;
  severity: string | null;
  cluster: string | null;
  namespace: string | null;
  pod: string | null;
  container: string | null;
  episode: string | null;
  alert_json: string | null;
  target_json: string | null;
  status: string;
  resolved_at: string | null;
  trigger: string;
  started_by: string | null;
  bundle_json: string | null;
  report_json: string | null;
  markdown: string | null;
  source: string | null;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  duration_ms: number | null;
  timings_json: string | null;
  progress_json: string | null;
  top_hypothesis: string | null;
  top_likelihood: string | null;
  error: string | null;
  issue_number: number | null;
  issue_url: string | null;
  issue_action: string | null;
  filed_by: string | null;
  filed_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The failure signature's hash (lib/analysis/signature.ts); null until done, or when no cause was named. */
  signature: string | null;
  /** The signature's parts (category, templates, workload) as JSON, for display. */
  signature_json: string | null;
  /** `cluster/namespace/Kind/name` of the owning workload. */
  workload_key: string | null;
}

export interface JobsTable {
  id: string;
  kind: string;
  dedup_key: string;
  payload_json: string;
  status: string;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  run_after: string;
  /** The lease owner: the worker id (host:pid:random) of the process running the job. */
  locked_by: string | null;
  locked_at: string | null;
  /** Until when the owner's lease holds; a live worker renews it, an expired one may be requeued. */
  lease_expires_at: string | null;
  created_at: string;
  updated_at: string;
  analysis_id: string | null;
}

export interface IssuesTable {
  fingerprint: string;
  number: number;
  url: string;
  created_at: string;
  updated_at: string;
  /** When the console closed this issue (CLOSE_ISSUE_ON_RESOLVE); null while it may be open. */
  closed_at: string | null;
}

export interface LocksTable {
  key: string;
  owner: string;
  expires_at: string;
}

export interface AuditTable {
  id: string;
  at: string;
  actor: string;
  action: string;
  target: string;
  details_json: string;
}

/** Session ids signed out before their cookie expired; rows go once expires_at passes. */
export interface RevokedSessionsTable {
  sid: string;
  expires_at: string;
}

export interface RejectedAlertsTable {
  /** Insertion order, assigned by the store (max + 1); retention keeps the highest. */
  seq: number;
  received_at: string;
  receiver: string | null;
  request_id: string | null;
  fingerprint: string | null;
  labels_json: string;
  reason: string;
}

/** One firing or resolved notification of one alert episode (fingerprint + startsAt), as the webhook took it. */
export interface AlertHistoryTable {
  /** Insertion order, assigned by the database (SQLite rowid, PostgreSQL identity); retention by count keeps the highest. */
  seq: Generated<number>;
  fingerprint: string;
  starts_at: string;
  /** "firing" or "resolved". */
  status: string;
  ends_at: string | null;
  received_at: string;
  alertname: string | null;
  namespace: string | null;
  labels_json: string;
}

/** One row the readiness probe rewrites: proof that the store can still write. */
export interface HealthTable {
  key: string;
  at: string;
  pad: string | null;
}

/** Shared rate limits (PostgreSQL replicas): requests per key (action:user) and minute since the epoch. */
export interface RateLimitsTable {
  key: string;
  minute: number;
  hits: number;
}

/** Whether a GitHub issue is open or closed, as GitHub last said (a cache with a TTL, lib/triage/similar-incidents). */
export interface IssueStatesTable {
  url: string;
  number: number;
  /** "open", "closed", or "gone" (deleted or transferred). */
  state: string;
  checked_at: string;
}

/**
 * The engineer's word on one analysis: which hypothesis was right (rank 1..3) or none (then the actual
 * cause), and what fixed it. Every submission is a row (the history is kept); `latest` is 1 on the newest
 * row of each analysis and 0 on the ones it replaced.
 */
export interface FeedbackTable {
  id: string;
  analysis_id: string;
  actor: string;
  created_at: string;
  /** The confirmed hypothesis's 1-based rank, or null: none of them was right. */
  verdict_rank: number | null;
  /** The confirmed hypothesis's title as the report had it, so the record reads the same after a re-analysis. */
  hypothesis_title: string | null;
  /** In the engineer's words, when none was right (optional otherwise). */
  actual_cause: string | null;
  fix: string;
  /** The case's category: the confirmed hypothesis's, else the one the engineer chose, else null. */
  category: string | null;
  latest: number;
  /** What became of the issue comment: pending, posted, failed, no_issue, not_configured. */
  comment_status: string;
  comment_url: string | null;
}

export interface Database {
  analyses: AnalysesTable;
  jobs: JobsTable;
  issues: IssuesTable;
  locks: LocksTable;
  audit: AuditTable;
  revoked_sessions: RevokedSessionsTable;
  rejected_alerts: RejectedAlertsTable;
  health: HealthTable;
  alert_history: AlertHistoryTable;
  rate_limits: RateLimitsTable;
  issue_states: IssueStatesTable;
  feedback: FeedbackTable;
}
