import type { Server } from "node:http";
import { assertSafeToServe, isConfigError, loadConfig, type Config } from "@/lib/config";
import { describeError } from "@/lib/errors";
import { getServices, type Services } from "@/lib/server/services";
import { drain, installSignalHandlers, jobDrainTimeoutMs } from "@/lib/server/shutdown";
import { startWebhookListener } from "@/lib/server/webhook";

/**
 * Runs in the server process before the first request is answered (Next holds requests until it
 * returns). Validates the configuration, refusing AUTH_MODE=none on a non-loopback HOST or bound address;
 * opens the store and starts the job worker, which resumes queued and interrupted analyses; with
 * WEBHOOK_LISTEN, also the dedicated webhook listener. A configuration or database that cannot work ends
 * the process with status 2 and one line saying why, instead of a server that answers 500 to everything.
 * SIGTERM and SIGINT drain the process before it exits (lib/server/shutdown.ts).
 */
export async function startServer(): Promise<void> {
  const config = configOrExit();
  if (!config.auth.peerSecret) {
    console.error(
      "Started without scripts/peer-address.mjs: the console cannot tell who is connecting and will refuse every console request (401). Start it with `npm start`, or as the image does: node --import ./scripts/peer-address.mjs server.js",
    );
  }
  let s: Services;
  try {
    s = await getServices();
  } catch (e) {
    process.stderr.write(`Refusing to start. ${describeError(e).replace(/\s*\n\s*/g, " ")}\n`);
    process.exit(2);
  }
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
    if (!isConfigError(e)) throw e;
    process.stderr.write(`Refusing to start. Invalid configuration: ${e.problems.map((p) => p.replace(/\s+/g, " ")).join("; ")}. Fix these settings (see .env.example) and start again.\n`);
    process.exit(2);
  }
}
