import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "@/test/helpers/alertmanager";

/**
 * A private PostgreSQL cluster from Debian's server binaries, in a temporary directory on a free loopback
 * port, removed by stop(). The server refuses to run as root, so as root the cluster belongs to the
 * `postgres` user (Debian's package creates it) and the server runs under its uid. Authentication is
 * `trust` on loopback only: the cluster lives as long as the test run.
 *
 * One cluster per test run (test/global-setup.ts provides its URL); each test takes its own database
 * with createDatabase(), so suites never see each other's rows.
 */

export const POSTGRES_SUPERUSER = "triage";

export interface RunningPostgres {
  port: number;
  dataDir: string;
  /** The URL of a database in this cluster (default `postgres`). */
  url(database?: string): string;
  /** A new empty database; returns its URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Server log so far, for failure messages. */
  output(): string;
  /** Shut the server down (fast: connections are cut), keeping its data: the database is unreachable until resume(). */
  pause(): Promise<void>;
  /** Start the paused server again on the same port and data; resolves once it accepts connections. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** The newest Debian PostgreSQL server's bin folder, or a sentence saying how to install one. */
export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, "bin", "postgres")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) {
    throw new Error("PostgreSQL server not found under /usr/lib/postgresql: run `sudo apt-get install -y postgresql` (npm test installs it as root).");
  }
  return join(root, versions[0] ?? "", "bin");
}

function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error("Running as root but there is no `postgres` user to run the test cluster as: install Debian's postgresql package.");
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function startPostgres(
  options: {
    timeoutMs?: number;
    /** pg_hba.conf lines put before initdb's `trust` ones, e.g. `host all app 127.0.0.1/32 scram-sha-256` (first match wins). */
    hba?: readonly string[];
  } = {},
): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const ids = postgresIds();
  const dataDir = await mkdtemp(join(tmpdir(), "triage-pg-"));
  if (ids) chownSync(dataDir, ids.uid, ids.gid);
  const asOwner = ids ? { uid: ids.uid, gid: ids.gid } : {};
  const env = { ...process.env, LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };
  const init = spawnSync(join(bin, "initdb"), ["-D", dataDir, "-A", "trust", "-U", POSTGRES_SUPERUSER, "-E", "UTF8", "--no-sync", "--no-instructions"], {
    ...asOwner,
    encoding: "utf8",
    env,
  });
  if (init.status !== 0) {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  }
  if (options.hba?.length) {
    const hbaPath = join(dataDir, "pg_hba.conf");
    writeFileSync(hbaPath, `${options.hba.join("\n")}\n${readFileSync(hbaPath, "utf8")}`);
  }
  const port = await freePort();
  let log = "";
  const launch = (): ChildProcess => {
    const c = spawn(
      join(bin, "postgres"),
      [
        "-D", dataDir,
        "-p", String(port),
        "-k", dataDir,
        "-c", "listen_addresses=127.0.0.1",
        "-c", "fsync=off",
        "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off",
        "-c", "max_connections=300",
      ],
      { ...asOwner, stdio: ["ignore", "pipe", "pipe"], env },
    );
    c.stdout?.on("data", (d: Buffer) => (log += d.toString()));
    c.stderr?.on("data", (d: Buffer) => (log += d.toString()));
    return c;
  };
  let child = launch();
  const url = (database = "postgres") => `postgres://${POSTGRES_SUPERUSER}@127.0.0.1:${port}/${database}`;

  /** Wait until the server accepts connections; on failure kill it and throw (the caller cleans up). */
  const accepting = async () => {
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode} before accepting connections:\n${log}`);
      const client = new pg.Client({ connectionString: url() });
      try {
        await client.connect();
        await client.query("select 1");
        await client.end();
        return;
      } catch (e) {
        await client.end().catch(() => {});
        if (Date.now() > deadline) {
          child.kill("SIGKILL");
          throw new Error(`postgres did not accept connections on 127.0.0.1:${port}: ${String(e)}\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  /** Stop the server with this signal (SIGINT fast, SIGQUIT immediate), SIGKILL after 10 s. */
  const halt = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  try {
    await accepting();
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }

  let stopped = false;
  return {
    port,
    dataDir,
    url,
    output: () => log,
    async createDatabase(prefix = "t") {
      const name = `${prefix.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${randomBytes(6).toString("hex")}`;
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`create database "${name}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    // Fast shutdown: clients are disconnected, and the next start needs no crash recovery.
    pause: () => halt("SIGINT"),
    async resume() {
      if (stopped) throw new Error("postgres was stopped for good; start a new cluster");
      if (child.exitCode === null && child.signalCode === null) return;
      child = launch();
      await accepting();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt("SIGQUIT"); // immediate shutdown: nothing in a test cluster needs to survive
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
