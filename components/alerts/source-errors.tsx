import type { SourceError } from "@/lib/alerts/types";

/** Each failing Alertmanager, what went wrong and what to check; other sources' alerts still show below. */
export function SourceErrors({ errors }: { errors: readonly SourceError[] }) {
  if (errors.length === 0) return null;
  return (
    <div role="alert" data-testid="source-errors" className="space-y-2">
      {errors.map((e, i) => (
        <div key={`${e.source}-${i}`} className="rounded-lg border border-red-300 bg-red-50 px-4 py-3 text-sm dark:border-red-900 dark:bg-red-950/40">
          <p className="font-medium text-red-800 dark:text-red-300">
            <span className="mr-2 rounded bg-red-600 px-1.5 py-0.5 text-xs text-white">{e.source}</span>
            {e.message}
          </p>
          {e.hint && <p className="mt-1 text-red-700 dark:text-red-400">{e.hint}</p>}
        </div>
      ))}
    </div>
  );
}
