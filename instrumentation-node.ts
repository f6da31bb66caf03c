import { assertSafeToServe, loadConfig } from "@/lib/config";
import { describeError } from "@/lib/errors";
import { getServices } from "@/lib/server/services";
import { startWebhookListener } from "@/lib/server/webhook";

/**
 * Runs in the server process before the first request is answered (Next holds requests until it
 * returns). Validates the configuration, refusing AUTH_MODE=none on a non-loopback HOST or bound address;
 * opens the store and starts the job worker, which resumes queued and interrupted analyses; with
 * WEBHOOK_LISTEN, also the dedicated webhook listener. A configuration or database that cannot work ends
 * the process with one line saying why, instead of a server that answers 500 to everything.
 */
export async function startServer(): Promise<void> {
  try {
    const config = loadConfig();
    assertSafeToServe(config);
    if (!config.auth.peerSecret) {
      console.error(
        "Started without scripts/peer-address.mjs: the console cannot tell who is connecting and will refuse every console request (401). Start it with `npm start`, or as the image does: node --import ./scripts/peer-address.mjs server.js",
      );
    }
    const s = await getServices();
    const listen = config.webhook.listen;
    if (listen) {
      await startWebhookListener(s, listen.host, listen.port);
      s.log.info({ host: listen.host, port: listen.port }, "webhook listener started");
    }
  } catch (e) {
    console.error(`Refusing to start. ${describeError(e).replace(/\s*\n\s*/g, " ")}`);
    process.exit(2);
  }
}
