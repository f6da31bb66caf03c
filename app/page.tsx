import type { Metadata } from "next";
import { Suspense } from "react";
import { AlertList } from "@/components/alerts/alert-list";
import { QueuePanel } from "@/components/jobs/queue-panel";
import { RecentlyResolved } from "@/components/alerts/recently-resolved";

export const metadata: Metadata = { title: "Alerts · Incident Triage Console" };

export default function AlertsPage() {
  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <h1 className="text-xl font-semibold">Alerts</h1>
        <QueuePanel />
      </div>
      <Suspense fallback={<p className="text-sm text-slate-500">Loading alerts…</p>}>
        <AlertList />
      </Suspense>
      <RecentlyResolved />
    </main>
  );
}
