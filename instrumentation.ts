import { assertSafeToServe, isNodeServerRuntime, loadConfig } from "@/lib/config";

/**
 * Runs once when the server starts: validates the configuration, opens the store and starts the job
 * worker, which resumes queued and interrupted analyses before the first request arrives.
 */
export async function register() {
  if (!isNodeServerRuntime()) return;
  // `node server.js` (the container image) skips scripts/start.mjs, so the same refusal happens here.
  assertSafeToServe(loadConfig());
  const { getServices } = await import("@/lib/server/services");
  await getServices();
}
