import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { startAlertmanager } from "../test/helpers/alertmanager";
import { startConsole } from "./harness";
import { e2eAlerts, silencedPod, STATE_FILE, type E2EState } from "./fixtures";

/** One real Alertmanager with the e2e alerts and one console pointed at it, for every spec. */
export default async function globalSetup() {
  const am = await startAlertmanager();
  let consoleStop: (() => Promise<void>) | undefined;
  try {
    await am.postAlerts(e2eAlerts);
    await am.waitForAlerts(e2eAlerts.length);
    await am.createSilence([{ name: "pod", value: silencedPod }], { comment: "e2e: known noisy notebook" });
    // On loopback the browser reaches the Alertmanager at its API address, so the public URL is the same one.
    const app = await startConsole({ ALERTMANAGER_URL: `e2e=${am.url}`, ALERTMANAGER_PUBLIC_URL: `e2e=${am.url}` });
    consoleStop = app.stop;
    const state: E2EState = { baseUrl: app.url, alertmanagerUrl: am.url };
    process.env.E2E_BASE_URL = state.baseUrl;
    process.env.E2E_ALERTMANAGER_URL = state.alertmanagerUrl;
    await mkdir(dirname(STATE_FILE), { recursive: true });
    await writeFile(STATE_FILE, JSON.stringify(state, null, 2));
  } catch (e) {
    await am.stop();
    throw e;
  }
  return async () => {
    await consoleStop?.();
    await am.stop();
    await rm(STATE_FILE, { force: true });
  };
}
