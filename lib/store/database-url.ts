/**
 * What DATABASE_URL names, without loading a database driver: lib/config validates with it, and the
 * store picks its engine with it. Kept apart from the drivers so the CLI's --help and config checks
 * load neither pg nor better-sqlite3.
 */

export type DatabaseUrl = { engine: "sqlite"; path: string } | { engine: "postgres"; url: string };

/** Why a DATABASE_URL cannot be used, or undefined when it can. Never repeats the password. */
export function databaseUrlProblem(value: string): string | undefined {
  if (value === ":memory:" || value.startsWith("file:")) return undefined;
  if (/^postgres(?:ql)?:\/\//i.test(value)) {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      return "DATABASE_URL is not a valid postgres:// URL: use postgres://user:password@host:5432/database (percent-encode special characters in the password)";
    }
    if (!u.hostname) return `DATABASE_URL ${redactDatabaseUrl(value)} names no host: use postgres://user:password@host:5432/database`;
    if (u.pathname.replace(/^\//, "") === "") return `DATABASE_URL ${redactDatabaseUrl(value)} names no database: add it as the path, e.g. postgres://user:password@${u.host}/triage`;
    return undefined;
  }
  return `DATABASE_URL must be file:<path> (SQLite, e.g. file:./data/triage.sqlite) or postgres://user:password@host:5432/database (PostgreSQL), got ${JSON.stringify(redactDatabaseUrl(value).slice(0, 80))}`;
}

/** The URL with its password replaced by ***, for messages and logs. */
export function redactDatabaseUrl(value: string): string {
  // Not a URL (libpq's "host=db password=…" keywords, a URL missing a slash): hide every value that may be a secret.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value.replace(/((?:pass|secret|key)\w*\s*=\s*)('[^']*'?|\S+)/gi, "$1***").replace(/:[^:@\s]*@/g, ":***@");
  try {
    const u = new URL(value);
    if (u.password) u.password = "***";
    for (const k of [...u.searchParams.keys()]) if (/pass|secret|key/i.test(k)) u.searchParams.set(k, "***");
    return u.toString();
  } catch {
    // Not parseable: cut everything between the scheme and the last @ rather than risk printing a password.
    return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/]*@/i, "$1***@");
  }
}

/** Which engine a DATABASE_URL selects and where it points. */
export function parseDatabaseUrl(value: string): DatabaseUrl | undefined {
  if (/^postgres(?:ql)?:\/\//i.test(value)) return { engine: "postgres", url: value };
  if (value === ":memory:") return { engine: "sqlite", path: value };
  if (value.startsWith("file:")) return { engine: "sqlite", path: value };
  return undefined;
}
