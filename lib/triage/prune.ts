import type { Logger } from "pino";
import type { Config } from "@/lib/config";
import type { Store } from "@/lib/store";

export interface PruneDeps {
  store: Pick<Store, "prune">;
  config: Pick<Config, "retention">;
  log: Pick<Logger, "info">;
}

/**
 * Run one prune job: remove analyses, finished jobs, audit entries and alert history past the retention policy.
 * @throws what the store throws (the worker retries).
 */
export async function pruneStore(d: PruneDeps): Promise<void> {
  const removed = await d.store.prune(d.config.retention);
  d.log.info({ event: "store.pruned", ...removed, retention: d.config.retention }, "pruned old analyses, jobs, audit entries and alert history");
}
