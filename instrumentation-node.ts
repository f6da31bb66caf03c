import type { Server } from "node:http";
import { assertSafeToServe, ConfigError, loadConfig, type Config } from "@/lib/config";
import { getServices } from "@/lib/server/services";
import { drain, installSignalHandlers, jobDrainTimeoutMs } from "@/lib/server/shutdown";
import { startWebhookListener } from "@/lib/server/webhook";

/**
 * Validate the configuration (refusing AUTH_MODE=none on a non-loopback HOST: `node server.js` in the
 * image skips scripts/start.mjs), open the store and start the job worker, which resumes queued and
 * interrupted analyses before the first request arrives; with WEBHOOK_LISTEN, also the dedicated
 * webhook listener. SIGTERM and SIGINT drain the process before it exits (lib/server/shutdown.ts).
 */
export async function startServer(): Promise<void> {
  const config = configOrExit();
  const s = await getServices();
  let listener: Server | undefined;
  const listen = config.webhook.listen;
  if (listen) {
    listener = await startWebhookListener(s, listen.host, listen.port);
    s.log.info({ host: listen.host, port: listen.port }, "webhook listener started");
  }
  const jobTimeoutMs = jobDrainTimeoutMs(config);
  installSignalHandlers(() => drain({ services: s, listener, jobTimeoutMs }), s.log, { deadlineMs: jobTimeoutMs + 15_000 });
}

/**
 * The configuration, or exit with status 2 and one line on stderr naming what to fix. Next would
 * otherwise print the error with its stack and, depending on the server, keep answering 500 on every path.
 */
function configOrExit(): Config {
  try {
    const config = loadConfig();
    assertSafeToServe(config);
    return config;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`Refusing to start: invalid configuration: ${e.problems.map((p) => p.replace(/\s+/g, " ")).join("; ")}. Fix these settings (see .env.example) and start again.\n`);
    process.exit(2);
  }
}
