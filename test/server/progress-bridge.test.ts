import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { progressStreamEvents, readStreamEvent, type ProgressMap } from "@/lib/analysis/api";
import { analysisEventsResponse } from "@/lib/server/analysis-events";
import { createPgProgressBridge } from "@/lib/server/progress-bridge";
import { ProgressBus, type BusEvent } from "@/lib/server/progress-bus";
import { postgresDatabase } from "@/test/helpers/postgres-database";
import { openPostgresReplica } from "@/test/helpers/postgres-replica";

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** One replica: its store and its bus bridged over the database; `listening` resolves when its LISTEN is up. */
async function replica(url: string, name: string) {
  const store = await openPostgresReplica(url, { name });
  const bridge = createPgProgressBridge({
    client: () => new pg.Client({ connectionString: url, application_name: `${name}-listen` }),
    db: store.db,
    read: (id) => store.getAnalysis(id),
    backoff: { minMs: 20, maxMs: 200 },
  });
  const bus = new ProgressBus(bridge);
  cleanups.push(
    () => store.close(),
    () => bus.close(),
  );
  await bridge.listening();
  return { store, bus, bridge };
}

async function twoReplicas() {
  const url = await postgresDatabase("progress");
  return { url, a: await replica(url, "replica-a"), b: await replica(url, "replica-b") };
}

/** Collects what a bus delivers for one analysis; `until` waits for an event that matches. */
function collect(bus: ProgressBus, id: string) {
  const seen: BusEvent[] = [];
  const waiters: { match: (e: BusEvent) => boolean; resolve: () => void }[] = [];
  cleanups.push(
    bus.subscribe(id, (e) => {
      seen.push(e);
      for (const w of waiters.filter((x) => x.match(e))) w.resolve();
    }),
  );
  return {
    seen,
    until: (match: (e: BusEvent) => boolean) =>
      seen.some(match) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ match, resolve })),
  };
}

const step = (detail: string): ProgressMap => ({ pod: { status: "done" }, logs: { status: "started", detail } });
const isDone = (e: BusEvent) => e.type === "done";

async function admin(url: string, text: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rowCount ?? 0;
  } finally {
    await c.end();
  }
}

describe("the progress bus across replicas (LISTEN/NOTIFY)", () => {
  it("delivers what one replica publishes to the other's subscribers, in order, through the end", async () => {
    const { a, b } = await twoReplicas();
    const onB = collect(b.bus, "an-1");
    const onA = collect(a.bus, "an-1");
    for (let i = 0; i < 30; i++) a.bus.publish("an-1", { type: "progress", progress: step(`tail ${i}`) });
    a.bus.publish("an-1", { type: "done", status: "done" });
    await onB.until(isDone);
    expect(onB.seen).toEqual([...Array.from({ length: 30 }, (_, i) => ({ type: "progress", progress: step(`tail ${i}`) })), { type: "done", status: "done" }]);
    // The publisher's own subscribers hear each event once (its own notifications are skipped).
    expect(onA.seen).toHaveLength(31);
    // Another analysis's subscribers hear nothing.
    expect(collect(b.bus, "an-2").seen).toEqual([]);
  });

  it("a browser on the other replica joins the running analysis: live progress, then done with the report", async () => {
    const { a, b } = await twoReplicas();
    const created = await a.store.createAnalysis({ fingerprint: "fp-join", trigger: "manual", status: "running" });
    a.bus.publish(created.id, { type: "progress", progress: step("before the join") });
    const joined = await b.store.getAnalysis(created.id);
    if (!joined) throw new Error("analysis not stored");
    const res = analysisEventsResponse({ store: b.store, bus: b.bus }, joined, new AbortController().signal);
    const body = res.text();
    // The stream subscribes as it starts; publish once B has heard A's first event (so its snapshot is current).
    await new Promise((r) => setTimeout(r, 50));
    a.bus.publish(created.id, { type: "progress", progress: step("live on a") });
    await a.store.updateAnalysis(created.id, { status: "done", markdown: "## Root cause\n", finishedAt: new Date() });
    a.bus.publish(created.id, { type: "done", status: "done" });
    const text = await body;
    const events = text
      .split("\n\n")
      .map((block) => ({ event: /^event: (.*)$/m.exec(block)?.[1] ?? "", data: /^data: (.*)$/m.exec(block)?.[1] ?? "" }))
      .filter((e) => e.event);
    const progress = events.filter((e) => e.event === "progress").map((e) => readStreamEvent(progressStreamEvents.progress, e.data));
    expect(progress).toContainEqual(step("live on a"));
    expect(events.at(-1)?.event).toBe("done");
    expect(readStreamEvent(progressStreamEvents.done, events.at(-1)?.data ?? "")?.analysis).toMatchObject({ id: created.id, status: "done", markdown: "## Root cause\n" });
  });

  it("sends an event over NOTIFY's 8000-byte limit as a reference, and the listener reads the stored progress", async () => {
    const { a, b } = await twoReplicas();
    const created = await a.store.createAnalysis({ fingerprint: "fp-big", trigger: "manual", status: "running" });
    const big = step("x".repeat(20_000));
    await a.store.updateAnalysis(created.id, { progress: big });
    const onB = collect(b.bus, created.id);
    a.bus.publish(created.id, { type: "progress", progress: big });
    a.bus.publish(created.id, { type: "done", status: "done" });
    await onB.until(isDone);
    expect(onB.seen).toEqual([
      { type: "progress", progress: big },
      { type: "done", status: "done" },
    ]);
  });

  it("reconnects after its listening connection is killed, listens again and catches up from the store", async () => {
    const { url, a, b } = await twoReplicas();
    const created = await a.store.createAnalysis({ fingerprint: "fp-kill", trigger: "manual", status: "running" });
    const onB = collect(b.bus, created.id);
    a.bus.publish(created.id, { type: "progress", progress: step("before") });
    await onB.until((e) => e.type === "progress");
    expect(await admin(url, "select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'replica-b-listen'")).toBe(1);
    // Sent while b is away: lost to LISTEN, but stored.
    await a.store.updateAnalysis(created.id, { progress: step("while b was away") });
    await onB.until((e) => e.type === "progress" && e.progress.logs?.detail === "while b was away");
    a.bus.publish(created.id, { type: "progress", progress: step("after") });
    a.bus.publish(created.id, { type: "done", status: "done" });
    await onB.until(isDone);
    const details = onB.seen.map((e) => (e.type === "progress" ? e.progress.logs?.detail : e.type));
    expect(details.slice(-2)).toEqual(["after", "done"]);
    expect(await admin(url, "select 1 from pg_stat_activity where application_name = 'replica-b-listen'")).toBe(1);
  });

  it("keeps a shutdown to its own replica", async () => {
    const { a, b } = await twoReplicas();
    const onB = collect(b.bus, "an-3");
    a.bus.close();
    b.bus.close();
    await new Promise((r) => setTimeout(r, 100));
    // b hears its own shutdown once, never a's.
    expect(onB.seen).toEqual([{ type: "shutdown" }]);
  });
});
