import Link from "next/link";

/** Title line for an analysis page: alert name, target, and a link to the live alert. */
export function AnalysisHeader({ labels, fingerprint }: { labels: Record<string, string>; fingerprint: string }) {
  const target = [labels.cluster, labels.namespace, labels.pod].filter(Boolean).join(" / ");
  return (
    <header className="space-y-1">
      <h1 className="text-xl font-semibold">{labels.alertname ?? "Pod analysis"}</h1>
      <p className="text-sm text-slate-500">
        {target || "unknown target"}
        {labels.container ? ` · container ${labels.container}` : ""}
        {labels.severity ? ` · ${labels.severity}` : ""} ·{" "}
        <Link className="text-sky-700 underline dark:text-sky-300" href={`/alerts/${encodeURIComponent(fingerprint)}`}>
          alert
        </Link>
      </p>
    </header>
  );
}
