import Link from "next/link";

/** An alert the console has never seen: not firing, never analyzed, no notification in its history. */
export default function AlertNotFound() {
  return (
    <main className="mx-auto max-w-3xl space-y-3 p-4 sm:p-6" data-testid="alert-not-found">
      <h1 className="text-xl font-semibold">No such alert</h1>
      <p className="text-sm text-slate-700 dark:text-slate-300">
        No Alertmanager lists an alert with this fingerprint, and the console has no analysis or notification of it. The link may be
        mistyped, or its history has been pruned.
      </p>
      <p className="text-sm">
        <Link href="/" className="text-sky-700 underline dark:text-sky-300">
          Back to the alert list
        </Link>
      </p>
    </main>
  );
}
