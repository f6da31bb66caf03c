import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getServices } from "@/lib/server/services";
import { AnalysisPanel } from "@/components/analysis/analysis-panel";
import { AnalysisHeader } from "@/components/analysis/analysis-header";

export const dynamic = "force-dynamic";

/** The tab title names the analysed alert and its pod. */
export async function generateMetadata({ params }: { params: Promise<{ id: string }> }): Promise<Metadata> {
  const { id } = await params;
  const labels = (await (await getServices()).store.getAnalysis(id.slice(0, 64)))?.alert?.labels;
  const where = labels && [labels.namespace, labels.pod].filter(Boolean).join("/");
  const name = labels ? [labels.alertname ?? "Alert", where].filter(Boolean).join(" · ") : "Analysis";
  return { title: `${name} · Analysis · Incident Triage Console` };
}

export default async function AnalysisPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const s = await getServices();
  const a = await s.store.getAnalysis(id.slice(0, 64));
  if (!a) notFound();
  return (
    <main className="space-y-4 p-4">
      <AnalysisHeader labels={a.alert?.labels ?? {}} fingerprint={a.fingerprint} />
      <AnalysisPanel input={{ fingerprint: a.fingerprint }} latestId={a.id} />
    </main>
  );
}
