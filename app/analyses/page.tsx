import type { Metadata } from "next";
import Link from "next/link";
import { Suspense } from "react";
import { AnalysisHistory } from "@/components/analysis/history";
import { QueuePanel } from "@/components/jobs/queue-panel";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Analyses · Incident Triage Console" };

export default function AnalysesPage() {
  return (
    <main className="space-y-4 p-4">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-xl font-semibold">Analyses</h1>
        <Link href="/accuracy" className="text-sm text-sky-700 underline dark:text-sky-300">
          How often are the reports right?
        </Link>
      </div>
      <QueuePanel />
      <Suspense fallback={<p className="text-sm text-slate-500">Loading history…</p>}>
        <AnalysisHistory />
      </Suspense>
    </main>
  );
}
