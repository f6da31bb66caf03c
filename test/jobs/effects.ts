import SqliteDatabase from "better-sqlite3";

/**
 * The side effect of a test job, recorded idempotently by job id in its own SQLite file: a job that
 * runs twice (killed after its effect, before it was marked done) still counts once, and `runs`
 * shows it ran again.
 */
export function openEffects(path: string) {
  const db = new SqliteDatabase(path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  db.exec("create table if not exists effects (job_id text primary key, dedup_key text not null, runs integer not null)");
  const insert = db.prepare(
    "insert into effects (job_id, dedup_key, runs) values (?, ?, 1) on conflict (job_id) do update set runs = runs + 1",
  );
  return {
    record(jobId: string, dedupKey: string) {
      insert.run(jobId, dedupKey);
    },
    all(): { job_id: string; dedup_key: string; runs: number }[] {
      return db.prepare("select job_id, dedup_key, runs from effects").all() as { job_id: string; dedup_key: string; runs: number }[];
    },
    close() {
      db.close();
    },
  };
}
