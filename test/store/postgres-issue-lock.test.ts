import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { createIssueFiler } from "@/lib/github/filer";
import { buildIssue } from "@/lib/github/issue";
import { openStore, type Store } from "@/lib/store";
import { startFakeGitHub, type FakeGitHub } from "@/test/fakes/github-server";
import { sampleBundle, sampleReport, SAMPLE_MARKDOWN } from "@/test/github/fixtures";
import { postgresDatabase } from "@/test/helpers/postgres-database";
import { openPostgresReplica } from "@/test/helpers/postgres-replica";

const FP = "9f1c0ffee0ddba11";
const REPO = "acme/incidents";
const quiet = { warn: () => undefined, info: () => undefined };

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** Two replicas (two stores, two pools) on one fresh database; b may run on its own clock. */
async function twoReplicas(bNow?: () => Date): Promise<{ url: string; a: Store; b: Store }> {
  const url = await postgresDatabase("issue_lock");
  const a = await openPostgresReplica(url, { name: "replica-a" });
  const b = await openPostgresReplica(url, { name: "replica-b", now: bNow });
  cleanups.push(
    () => a.close(),
    () => b.close(),
  );
  return { url, a, b };
}

async function fakeGitHub(): Promise<FakeGitHub> {
  const gh = await startFakeGitHub({ repos: [REPO], latencyMs: 2 });
  cleanups.push(() => gh.close());
  return gh;
}

function filerOn(store: Store, gh: FakeGitHub) {
  return createIssueFiler({ token: "test-token", repository: REPO, apiUrl: gh.url }, { registry: store.issueRegistry(), log: quiet, sleep: async () => undefined });
}

function draft(summary: string) {
  return buildIssue({ report: sampleReport({ summary }), reportMarkdown: `${SAMPLE_MARKDOWN}\n\n${summary}`, bundle: sampleBundle(), fingerprint: FP, analysisUrl: "http://console/analyses/1" });
}

/** 50 filings of one alert at once, alternating between the replicas' filers. */
async function fileFifty(a: Store, b: Store, gh: FakeGitHub) {
  const [fa, fb] = [filerOn(a, gh), filerOn(b, gh)];
  return Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? fa : fb).fileIncident(draft(`analysis ${i}`), FP)));
}

async function adminQuery<R extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe("filing across two replicas on PostgreSQL", () => {
  it("files exactly one issue for 50 concurrent filings split across two replicas; the rest comment", async () => {
    const { a, b } = await twoReplicas();
    const gh = await fakeGitHub();
    const results = await fileFifty(a, b, gh);
    expect(gh.issues(REPO)).toHaveLength(1);
    expect(gh.comments(REPO)).toHaveLength(49);
    expect(results.filter((r) => r.action === "created")).toHaveLength(1);
    expect(new Set(results.map((r) => r.number))).toEqual(new Set([1]));
    // Both replicas' registries agree on the issue.
    expect(await a.issueRegistry().getIssue(FP)).toEqual(await b.issueRegistry().getIssue(FP));
  });

  it("files one issue when one replica's clock runs a minute ahead (the lock trusts no replica's clock)", async () => {
    const { a, b } = await twoReplicas(() => new Date(Date.now() + 60_000));
    const gh = await fakeGitHub();
    const results = await fileFifty(a, b, gh);
    expect(gh.issues(REPO)).toHaveLength(1);
    expect(results.filter((r) => r.action === "created")).toHaveLength(1);
  });

  it("frees the lock at once when the holder's connection dies (a killed replica), without waiting for a lease", async () => {
    const { url, a, b } = await twoReplicas();
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const held = a.runExclusive("issue:dying", async () => {
      entered();
      await gate;
      return "a finished";
    });
    await inside;
    const holders = await adminQuery<{ pid: number }>(
      url,
      "select l.pid from pg_locks l join pg_stat_activity s on s.pid = l.pid where l.locktype = 'advisory' and l.granted and s.application_name = 'replica-a'",
    );
    expect(holders).toHaveLength(1);
    await adminQuery(url, "select pg_terminate_backend($1)", [holders[0]?.pid]);
    // Well under the 30 s lease the locks table would make it wait.
    await expect(b.runExclusive("issue:dying", async () => "b ran", { waitTimeoutMs: 10_000 })).resolves.toBe("b ran");
    finish();
    await expect(held).resolves.toBe("a finished");
    // The dead connection left the pool; replica a still works.
    await expect(a.runExclusive("issue:dying", async () => "a again")).resolves.toBe("a again");
  });

  it("answers timeout with a hint when another replica holds the lock past the wait", async () => {
    const { a, b } = await twoReplicas();
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const held = a.runExclusive("issue:busy", async () => {
      entered();
      await gate;
    });
    await inside;
    const e = await b.runExclusive("issue:busy", async () => "never", { waitTimeoutMs: 300 }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe("timeout");
    expect((e as AppError).message).toContain("issue:busy");
    expect((e as AppError).hint).toMatch(/pg_locks/);
    finish();
    await held;
    // The refused waiter left nothing behind: b takes the lock now.
    await expect(b.runExclusive("issue:busy", async () => "b ran", { waitTimeoutMs: 2000 })).resolves.toBe("b ran");
  });

  it("keeps other keys free while one is held", async () => {
    const { a, b } = await twoReplicas();
    let finish!: () => void;
    const gate = new Promise<void>((r) => (finish = r));
    const held = a.runExclusive("issue:one", () => gate);
    await expect(b.runExclusive("issue:two", async () => "other key", { waitTimeoutMs: 2000 })).resolves.toBe("other key");
    finish();
    await held;
  });
  it("never lets lock holders take every pooled connection: a small pool (DATABASE_POOL_SIZE) still files", async () => {
    const url = await postgresDatabase("small_pool");
    const store = await openStore(url, { poolSize: 2, connectTimeoutMs: 3000 });
    cleanups.push(() => store.close());
    const registry = store.issueRegistry();
    // Six alerts filed at once: each holder reads and writes the registry while it holds its lock.
    const keys = Array.from({ length: 6 }, (_, i) => `fp-small-pool-${i}`);
    await Promise.all(
      keys.map((fp, i) =>
        registry.runExclusive(fp, async () => {
          if (!(await registry.getIssue(fp))) await registry.saveIssue(fp, { number: i + 1, url: `https://github.com/acme/incidents/issues/${i + 1}` });
        }),
      ),
    );
    for (const [i, fp] of keys.entries()) expect(await registry.getIssue(fp)).toEqual({ number: i + 1, url: `https://github.com/acme/incidents/issues/${i + 1}` });
  });
});
