/**
 * Queue benchmark: enqueue a storm of distinct jobs (and its redelivery), then drain it with the
 * configured concurrency, reporting throughput and the highest number of handlers seen at once.
 * Run: scripts/node --import tsx bench/jobs.bench.ts [jobs] [concurrency]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createWorker } from "@/lib/jobs/worker";
import { openStore } from "@/lib/store";

export interface JobsBenchResult {
  jobs: number;
  concurrency: number;
  enqueuePerSecond: number;
  duplicatesCreated: number;
  drainMs: number;
  maxConcurrent: number;
  lost: number;
}

/** Enqueue `jobs` jobs twice (the second time all deduplicated) and drain them. */
export async function benchJobs(jobs = 2000, concurrency = 2): Promise<JobsBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), "triage-bench-jobs-"));
  const store = await openStore(`file:${join(dir, "bench.sqlite")}`);
  try {
    const t0 = performance.now();
    for (let i = 0; i < jobs; i++) await store.enqueueJob({ kind: "analyze", dedupKey: `storm-${i}`, payload: { analysisId: `a-${i}` } });
    const enqueueMs = performance.now() - t0;
    let duplicatesCreated = 0;
    for (let i = 0; i < jobs; i++) if ((await store.enqueueJob({ kind: "analyze", dedupKey: `storm-${i}`, payload: { analysisId: `a-${i}` } })).created) duplicatesCreated++;

    let inside = 0;
    let maxConcurrent = 0;
    const worker = createWorker({
      store,
      concurrency,
      pollIntervalMs: 50,
      handlers: {
        analyze: async () => {
          inside++;
          maxConcurrent = Math.max(maxConcurrent, inside);
          await new Promise((r) => setTimeout(r, 1));
          inside--;
        },
      },
    });
    const t1 = performance.now();
    await worker.start();
    await worker.drain();
    const drainMs = performance.now() - t1;
    await worker.stop();
    const counts = await store.jobCounts();
    return {
      jobs,
      concurrency,
      enqueuePerSecond: Math.round(jobs / (enqueueMs / 1000)),
      duplicatesCreated,
      drainMs: Math.round(drainMs),
      maxConcurrent,
      lost: jobs - counts.done,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const name = "jobs";

/** A storm of 2,000 distinct jobs through the store and worker: enqueue rate, redelivery dedup, drain, concurrency. */
export async function run(): Promise<void> {
  const r = await benchJobs(2000, 2);
  console.log(
    `jobs: ${r.jobs} enqueued at ${r.enqueuePerSecond}/s; redelivery created ${r.duplicatesCreated}; drained in ${r.drainMs} ms ` +
      `with at most ${r.maxConcurrent} at once (limit ${r.concurrency}); lost ${r.lost}`,
  );
}
