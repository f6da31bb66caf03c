import { SMALL_SAMPLE, percent, type Accuracy, type AccuracyRow } from "@/lib/feedback/accuracy";

/** The accuracy figures: overall, per category and per source, each with its counts so small samples show. */
export function AccuracyTable({ accuracy, period }: { accuracy: Accuracy; period: string }) {
  if (accuracy.overall.cases === 0) {
    return (
      <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="accuracy-empty">
        No analyses with feedback over {period}. Feedback is given on an analysis&apos;s page, and the alert page asks for it when the alert resolves.
      </p>
    );
  }
  return (
    <div className="space-y-4" data-testid="accuracy">
      <p className="text-sm">
        Over {period}: <strong data-testid="accuracy-cases">{accuracy.overall.cases}</strong> analyses with feedback; top-1 <strong data-testid="accuracy-top1">{percent(accuracy.overall.top1Rate)}</strong>, top-3{" "}
        <strong data-testid="accuracy-top3">{percent(accuracy.overall.top3Rate)}</strong>.
      </p>
      <Rows caption="By category" first="Category" rows={accuracy.byCategory} />
      <Rows caption="By source" first="Source" rows={accuracy.bySource} />
    </div>
  );
}

function Rows({ caption, first, rows }: { caption: string; first: string; rows: AccuracyRow[] }) {
  return (
    <div className="max-w-full overflow-x-auto" role="region" aria-label={caption} tabIndex={0}>
      <table className="text-left text-sm">
        <caption className="text-left font-medium">{caption}</caption>
        <thead className="text-xs text-slate-500">
          <tr>
            <th className="p-2">{first}</th>
            <th className="p-2 text-right">Cases</th>
            <th className="p-2 text-right">Top-1</th>
            <th className="p-2 text-right">Top-3</th>
            <th className="p-2 text-right">None right</th>
            <th className="p-2" />
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} data-key={r.key} className="border-t border-slate-200 dark:border-slate-800">
              <td className="p-2 font-mono text-xs">{r.key}</td>
              <td className="p-2 text-right">{r.cases}</td>
              <td className="p-2 text-right">
                {percent(r.top1Rate)} <span className="text-slate-500">({r.top1})</span>
              </td>
              <td className="p-2 text-right">
                {percent(r.top3Rate)} <span className="text-slate-500">({r.top3})</span>
              </td>
              <td className="p-2 text-right">{r.none}</td>
              <td className="p-2 text-xs text-amber-800 dark:text-amber-300">{r.cases < SMALL_SAMPLE ? "small sample" : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
