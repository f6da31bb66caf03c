import { z } from "zod";
import { getServices } from "@/lib/server/services";
import { targetSchema } from "@/lib/alerts/types";
import { AnalysisPanel } from "@/components/analysis/analysis-panel";
import { AnalysisHeader } from "@/components/analysis/analysis-header";

export const dynamic = "force-dynamic";

const paramsSchema = targetSchema.extend({ alertname: z.string().max(256).optional(), analyze: z.string().optional() });

/**
 * Deep link from Alertmanager, Grafana or a rule annotation:
 * /triage?alertname=&namespace=&pod=&cluster=&container=[&analyze=1]. Opens the matching live alert
 * (or the bare target when the alert is gone) with its latest analysis; analyze=1 starts one when there
 * is no recent one.
 */
export default async function TriagePage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = await searchParams;
  const flat = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v || undefined]));
  const parsed = paramsSchema.safeParse(flat);
  if (!parsed.success) {
    return (
      <main className="p-6">
        <h1 className="text-lg font-semibold">Cannot open this triage link</h1>
        <p className="mt-2 text-sm">
          {parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}. A triage link needs at least{" "}
          <code>namespace</code> and <code>pod</code>, e.g. <code>/triage?alertname=ModelPodOOMKilled&amp;namespace=ml-serving&amp;pod=llm-0</code>.
        </p>
      </main>
    );
  }
  const { alertname, analyze, ...target } = parsed.data;
  const { live, fingerprint, latestId, autoStart, labels } = await (await getServices()).triage.deepLinkState({ ...target, alertname, analyze: analyze === "1" });
  return (
    <main className="space-y-4 p-4">
      <AnalysisHeader labels={labels} fingerprint={fingerprint} />
      {!live && <p className="text-sm text-amber-700">No firing alert matches this link any more; analyzing the pod directly.</p>}
      <AnalysisPanel
        input={live ? { fingerprint } : { target: { ...target, alertname } }}
        latestId={latestId}
        autoStart={autoStart}
      />
    </main>
  );
}
