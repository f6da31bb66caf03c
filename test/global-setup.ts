import type { TestProject } from "vitest/node";
import { startPostgres, type RunningPostgres } from "@/test/helpers/postgres";

/**
 * One private PostgreSQL cluster per test run (Debian's server, a temporary directory, a free loopback
 * port), removed at the end. Tests take a database of their own with `postgresDatabase()` from
 * test/helpers/postgres-database.ts.
 */
declare module "vitest" {
  export interface ProvidedContext {
    /** The admin URL of the run's PostgreSQL cluster (database `postgres`, superuser `triage`). */
    postgresUrl: string;
  }
}

let cluster: RunningPostgres | undefined;

export async function setup(project: TestProject): Promise<void> {
  cluster = await startPostgres();
  project.provide("postgresUrl", cluster.url());
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}
