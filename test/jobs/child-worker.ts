/**
 * A worker process for the kill test: enqueues N jobs, then processes them slowly, printing
 * "effect <n>" after each side effect so the parent knows when to kill it.
 * Usage: node --import tsx test/jobs/child-worker.ts <database-file> <effects-file> <count>
 */
import { openStore } from "@/lib/store";
import { createWorker } from "@/lib/jobs/worker";
import { openEffects } from "./effects";

const [dbPath, effectsPath, countArg] = process.argv.slice(2);
if (!dbPath || !effectsPath || !countArg) {
  console.error("usage: child-worker.ts <database-file> <effects-file> <count>");
  process.exit(2);
}

const store = await openStore(`file:${dbPath}`);
const effects = openEffects(effectsPath);
for (let i = 0; i < Number(countArg); i++) {
  await store.enqueueJob({ kind: "analyze", dedupKey: `storm-${i}`, payload: { analysisId: `a-${i}` } });
}
console.log("enqueued");
let n = 0;
const worker = createWorker({
  store,
  concurrency: 4,
  pollIntervalMs: 50,
  // Short leases, so the parent's worker takes the killed child's jobs over within a second or so.
  leaseMs: 1000,
  heartbeatMs: 100,
  handlers: {
    analyze: async (_payload, job) => {
      await new Promise((r) => setTimeout(r, 25));
      effects.record(job.id, job.dedupKey);
      console.log(`effect ${++n}`);
      await new Promise((r) => setTimeout(r, 5));
    },
  },
});
await worker.start();
await worker.drain();
console.log("drained");
await worker.stop();
await store.close();
