/**
 * A replica for the crash test on PostgreSQL: runs analyze jobs with a handler that holds the job (a
 * slow Gemini call), printing "started <job id>" when it holds one, so the parent can kill -9 it.
 * Usage: node --import tsx test/jobs/pg-crash-child.ts <database-url>
 */
import { createPgBossJobBackend } from "@/lib/jobs/pg-boss";
import { openStore } from "@/lib/store";

const [url] = process.argv.slice(2);
if (!url) {
  console.error("usage: pg-crash-child.ts <database-url>");
  process.exit(2);
}
const store = await openStore(url);
const backend = await createPgBossJobBackend({
  store,
  databaseUrl: url,
  heartbeatSeconds: 10,
  superviseIntervalSeconds: 1,
  pollIntervalMs: 50,
  workerId: "doomed",
  groups: [{ name: "analyze", kinds: ["analyze"], concurrency: 1, global: true }],
  handlers: {
    analyze: async (_payload, job) => {
      console.log(`started ${job.id}`);
      await new Promise((r) => setTimeout(r, 10 * 60_000));
    },
  },
});
await backend.start();
console.log("ready");
