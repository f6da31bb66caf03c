import type { Metadata } from "next";
import Link from "next/link";
import { getServices } from "@/lib/server/services";
import { isAppError } from "@/lib/errors";
import { AccuracyTable } from "@/components/feedback/accuracy-table";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Accuracy · Incident Triage Console" };

const PERIODS = ["7d", "30d", "90d", "all"] as const;

/** Top-1 and top-3 accuracy of the reports over the analyses engineers gave feedback on, in a period (?since=). */
export default async function AccuracyPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const raw = (await searchParams).since;
  const since = (Array.isArray(raw) ? raw[0] : raw)?.slice(0, 40) || "30d";
  const s = await getServices();
  let report: Awaited<ReturnType<typeof s.triage.accuracy>> | undefined;
  let error: { message: string; hint?: string } | undefined;
  try {
    report = await s.triage.accuracy(since);
  } catch (e) {
    if (!isAppError(e)) throw e;
    error = { message: e.message, hint: e.hint };
  }
  return (
    <main className="space-y-4 p-4">
      <h1 className="text-xl font-semibold">How often are the reports right?</h1>
      <p className="max-w-3xl text-sm text-slate-600 dark:text-slate-400">
        Over the analyses engineers gave feedback on: top-1 when the confirmed hypothesis was the report&apos;s first, top-3 when it was one of its first three; &ldquo;none&rdquo; counts as a
        miss. A case&apos;s category is the confirmed hypothesis&apos;s, else the one the engineer chose. The period counts analyses by when they were made.
      </p>
      <nav aria-label="Period" className="flex flex-wrap gap-3 text-sm">
        {PERIODS.map((p) => (
          <Link key={p} href={`/accuracy?since=${p}`} aria-current={p === since ? "page" : undefined} className={p === since ? "font-semibold" : "text-sky-700 underline dark:text-sky-300"}>
            {p === "all" ? "all time" : `last ${p}`}
          </Link>
        ))}
      </nav>
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error.message}
          {error.hint ? ` — ${error.hint}` : ""}
        </p>
      )}
      {report && <AccuracyTable accuracy={report.accuracy} period={report.period} />}
    </main>
  );
}
