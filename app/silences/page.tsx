import type { Metadata } from "next";
import { SilenceList } from "@/components/alerts/silence-list";

export const metadata: Metadata = { title: "Silences · Incident Triage Console" };

export default function SilencesPage() {
  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <h1 className="text-xl font-semibold">Silences</h1>
      <SilenceList />
    </main>
  );
}
