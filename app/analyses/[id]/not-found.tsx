import Link from "next/link";

/** An analysis id the store does not have (mistyped, or removed by retention). */
export default function AnalysisNotFound() {
  return (
    <main className="mx-auto max-w-3xl space-y-3 p-4 sm:p-6" data-testid="analysis-not-found">
      <h1 className="text-xl font-semibold">No such analysis</h1>
      <p className="text-sm text-slate-700 dark:text-slate-300">
        There is no analysis with this id: the link may be mistyped, or the analysis is older than the retention policy keeps.
      </p>
      <p className="text-sm">
        <Link href="/analyses" className="text-sky-700 underline dark:text-sky-300">
          Back to the analysis history
        </Link>
      </p>
    </main>
  );
}
