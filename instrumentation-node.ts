import { assertSafeToServe, loadConfig } from "@/lib/config";
import { getServices } from "@/lib/server/services";
import { startWebhookListener } from "@/lib/server/webhook";

/**
 * Validate the configuration (refusing AUTH_MODE=none on a non-loopback HOST: `node server.js` in the
 * image skips scripts/start.mjs), open the store and start the job worker, which resumes queued and
 * interrupted analyses before the first request arrives; with WEBHOOK_LISTEN, also the dedicated
 * webhook listener.
 */
export async function startServer(): Promise<void> {
  const config = loadConfig();
  assertSafeToServe(config);
  const s = await getServices();
  const listen = config.webhook.listen;
  if (listen) {
    await startWebhookListener(s, listen.host, listen.port);
    s.log.info({ host: listen.host, port: listen.port }, "webhook listener started");
  }
}
