import type { Pool, PoolClient } from "pg";
import { PostgresDialect, type PostgresCursor, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from "kysely";
import { AppError } from "@/lib/errors";
import { getMetrics } from "@/lib/metrics";
import { redactDatabaseUrl } from "@/lib/store/database-url";

/**
 * PostgreSQL for the store: a pg Pool behind Kysely's PostgresDialect, with the server's failures mapped
 * to errors a person can act on (unreachable, wrong password, missing database, missing rights), as
 * lib/store/sqlite.ts does for SQLite's storage failures. pg is imported only here and only when
 * DATABASE_URL says postgres://, so the SQLite console and the CLI never load it.
 */

export interface PostgresOptions {
  /** Connections in the pool (DATABASE_POOL_SIZE). */
  poolSize?: number;
  /** The server cancels a statement running longer than this. */
  statementTimeoutMs?: number;
  /** How long to wait for a connection (server unreachable, or every pooled one busy). */
  connectTimeoutMs?: number;
}

const INT8_OID = 20;

/** The role and database a URL names, for messages (never the password). */
function describeTarget(url: string): { user: string; database: string; host: string; safe: string } {
  try {
    const u = new URL(url);
    return { user: decodeURIComponent(u.username) || "(default)", database: decodeURIComponent(u.pathname.slice(1)), host: u.host, safe: redactDatabaseUrl(url) };
  } catch {
    return { user: "(unknown)", database: "(unknown)", host: "(unknown)", safe: redactDatabaseUrl(url) };
  }
}

function errorCode(e: unknown): string | undefined {
  if (typeof e !== "object" || e === null || !("code" in e) || typeof e.code !== "string") return undefined;
  return e.code;
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "57P01", "57P03"]);

/**
 * The AppError for a PostgreSQL failure the operator must fix (connection, login, database, rights),
 * or undefined for any other error (a constraint, a syntax error: the caller's to handle).
 */
/** Node's TLS verification failures, as the pg client reports them when DATABASE_URL asks for TLS. */
const TLS_FAILURES: ReadonlySet<string> = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

export function postgresFailure(e: unknown, url: string): AppError | undefined {
  const code = errorCode(e);
  const t = describeTarget(url);
  const message = e instanceof Error ? e.message : String(e);
  if ((code && UNREACHABLE.has(code)) || /timeout exceeded when trying to connect|Connection terminated|connection timeout/i.test(message)) {
    return new AppError("unavailable", `PostgreSQL at ${t.host} is not reachable (${code ?? message}).`, {
      hint: "Check DATABASE_URL's host and port, that the server is running, and that this pod may reach it (DNS, NetworkPolicy, firewall); the console retries on its own once it answers.",
      cause: e,
      details: { postgres: code ?? "unreachable" },
    });
  }
  if ((code && TLS_FAILURES.has(code)) || /does not support SSL connections|self[- ]signed certificate|certificate/i.test(message)) {
    return new AppError("not_configured", `The TLS connection to PostgreSQL at ${t.host} failed: ${message}.`, {
      hint: "Match DATABASE_URL's TLS settings to the server: sslmode=disable for a server without TLS (loopback or a private network you trust); for a server with a private CA, sslmode=verify-full&sslrootcert=/path/to/ca.crt (mount the CA from a Secret or ConfigMap).",
      cause: e,
      details: { postgres: code ?? "tls" },
    });
  }
  if (code === "28P01" || code === "28000") {
    return new AppError("not_configured", `PostgreSQL refused the login of role "${t.user}" on ${t.host} (${code === "28P01" ? "wrong password" : "no pg_hba.conf entry or authentication failed"}).`, {
      hint: "Check the user and password in DATABASE_URL (percent-encode special characters; in Kubernetes, the Secret it comes from) and that pg_hba.conf admits this client.",
      cause: e,
      details: { postgres: code },
    });
  }
  if (code === "3D000") {
    return new AppError("not_configured", `PostgreSQL database "${t.database}" does not exist on ${t.host}.`, {
      hint: `Create it (CREATE DATABASE "${t.database}" OWNER "${t.user}";, or createdb -O ${t.user} ${t.database}) or fix the database name in DATABASE_URL.`,
      cause: e,
      details: { postgres: code },
    });
  }
  if (code === "42501") {
    return new AppError("not_configured", `PostgreSQL role "${t.user}" lacks a right the console needs on database "${t.database}": ${message}.`, {
      hint: `As the database owner: GRANT CREATE, USAGE ON SCHEMA public TO "${t.user}"; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "${t.user}"; (or make the role the database's owner: ALTER DATABASE "${t.database}" OWNER TO "${t.user}";).`,
      cause: e,
      details: { postgres: code },
    });
  }
  if (code === "53100" || code === "53200") {
    return new AppError("unavailable", `PostgreSQL on ${t.host} is out of ${code === "53100" ? "disk space" : "memory"}: the store cannot write.`, {
      hint: "Free space on the database server or grow its volume; lower RETENTION_DAYS or RETENTION_MAX_ANALYSES.",
      cause: e,
      details: { postgres: code },
    });
  }
  return undefined;
}

/** Text PostgreSQL cannot hold: NUL. SQLite keeps it; PostgreSQL refuses the whole statement, so it becomes U+FFFD. */
function cleanParameter(v: unknown): unknown {
  return typeof v === "string" && v.includes("\u0000") ? v.replaceAll("\u0000", "\uFFFD") : v;
}

function parseInt8(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`A bigint value ${v} exceeds JavaScript's safe integers.`);
  return n;
}

/**
 * A pg Pool for Kysely whose failures arrive mapped (postgresFailure) and whose int8 values (count(*),
 * bigint columns) arrive as numbers, like SQLite's.
 * @throws AppError when pg cannot be loaded.
 */
export async function createPostgresDialect(url: string, options: PostgresOptions = {}): Promise<{ dialect: PostgresDialect; pool: Pool }> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({
    connectionString: url,
    max: Math.max(1, Math.trunc(options.poolSize ?? 10)),
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    idleTimeoutMillis: 30_000,
    application_name: "triage-console",
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID && format !== "binary" ? parseInt8 : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection the server drops (restart, failover) is an 'error' event: without a listener it ends the process.
  pool.on("error", () => undefined);
  // The same for a checked-out client between two queries (a held advisory lock during a failover): its
  // next query fails with the mapped error instead.
  pool.on("connect", (client) => void client.on("error", () => undefined));
  const mapped = (e: unknown): unknown => {
    const m = postgresFailure(e, url);
    if (m?.details?.postgres) getMetrics().storeWriteErrors.inc({ code: String(m.details.postgres) });
    return m ?? e;
  };
  const wrap = (client: PoolClient): PostgresPoolClient => {
    function query<R>(sqlText: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
    function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
    function query<R>(a: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
      if (typeof a !== "string") return client.query(a as never) as PostgresCursor<R>;
      return client.query(a, (parameters ?? []).map(cleanParameter)).then(
        (r) => r as unknown as PostgresQueryResult<R>,
        (e: unknown) => Promise.reject(mapped(e)),
      );
    }
    return { query, release: () => client.release() };
  };
  const guarded: PostgresPool = {
    connect: async () => {
      try {
        return wrap(await pool.connect());
      } catch (e) {
        throw mapped(e);
      }
    },
    end: () => pool.end(),
  };
  return { dialect: new PostgresDialect({ pool: guarded }), pool };
}

/** A constant key for pg_advisory_lock: every console process on one database migrates under it. */
const MIGRATION_LOCK_KEY = 0x7472_6961_6765n; // "triage"

/**
 * Run fn holding a session advisory lock on a connection of its own, so replicas starting together
 * migrate one after the other; a process that dies releases it with its session.
 */
export async function withAdvisoryLock<T>(pool: Pool, url: string, fn: () => Promise<T>, timeoutMs = 120_000): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (e) {
    throw postgresFailure(e, url) ?? e;
  }
  let locked = false;
  try {
    await client.query(`set lock_timeout = ${Math.trunc(timeoutMs)}; set statement_timeout = 0`);
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
    locked = true;
    return await fn();
  } catch (e) {
    if (errorCode(e) === "55P03") {
      throw new AppError("timeout", `Timed out after ${timeoutMs} ms waiting for another console to finish migrating the database.`, {
        hint: "Another replica is migrating (or hung while migrating); retry shortly, or look for a stuck session in pg_stat_activity (application_name triage-console).",
        cause: e,
      });
    }
    throw postgresFailure(e, url) ?? e;
  } finally {
    if (locked) await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()]).catch(() => undefined);
    await client.query("reset lock_timeout; reset statement_timeout").catch(() => undefined);
    client.release();
  }
}
