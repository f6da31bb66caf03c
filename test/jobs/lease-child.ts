/**
 * A worker process for the lease tests: runs analyze jobs with a handler that marks the analysis
 * running and then holds the job (a slow Gemini call), printing "owner <worker id>" once started and
 * "started <job id>" when it holds a job, so the parent knows when to start a second process or kill it.
 * Usage: node --import tsx test/jobs/lease-child.ts <database-file> <lease-ms>
 */
import { openStore } from "@/lib/store";
import { createWorker } from "@/lib/jobs/worker";

const [dbPath, leaseArg] = process.argv.slice(2);
if (!dbPath || !leaseArg) {
  console.error("usage: lease-child.ts <database-file> <lease-ms>");
  process.exit(2);
}
const leaseMs = Number(leaseArg);

const store = await openStore(`file:${dbPath}`);
const worker = createWorker({
  store,
  leaseMs,
  heartbeatMs: leaseMs / 10,
  pollIntervalMs: 20,
  handlers: {
    analyze: async (_payload, job) => {
      if (job.analysisId) await store.updateAnalysis(job.analysisId, { status: "running", startedAt: new Date() });
      console.log(`started ${job.id}`);
      await new Promise((r) => setTimeout(r, 10 * 60_000));
    },
  },
});
await worker.start();
console.log(`owner ${worker.id}`);
