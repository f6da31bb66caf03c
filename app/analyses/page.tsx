import type { Metadata } from "next";
import { Suspense } from "react";
import { AnalysisHistory } from "@/components/analysis/history";
import { QueuePanel } from "@/components/jobs/queue-panel";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Analyses · Incident Triage Console" };

export default function AnalysesPage() {
  return (
    <main className="space-y-4 p-4">
      <h1 className="text-xl font-semibold">Analyses</h1>
      <QueuePanel />
      <Suspense fallback={<p className="text-sm text-slate-500">Loading history…</p>}>
        <AnalysisHistory />
      </Suspense>
    </main>
  );
}
