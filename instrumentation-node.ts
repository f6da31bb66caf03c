import { assertSafeToServe, loadConfig } from "@/lib/config";
import { getServices } from "@/lib/server/services";

/**
 * Validate the configuration (refusing AUTH_MODE=none on a non-loopback HOST: `node server.js` in the
 * image skips scripts/start.mjs), open the store and start the job worker, which resumes queued and
 * interrupted analyses before the first request arrives.
 */
export async function startServer(): Promise<void> {
  assertSafeToServe(loadConfig());
  await getServices();
}
