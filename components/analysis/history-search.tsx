import type { SearchHit } from "@/lib/analysis/api";

/** Where a search hit matched: the snippet's parts as text, matched words marked. Never HTML from the server. */
export function SearchSnippet({ parts }: { parts: NonNullable<SearchHit["snippet"]> }) {
  return (
    <span data-testid="search-snippet" className="whitespace-pre-wrap break-words font-mono text-xs text-slate-700 dark:text-slate-300">
      {parts.map((p, i) =>
        p.hit ? (
          <mark key={i} className="rounded-sm bg-amber-200 px-0.5 text-slate-900 dark:bg-amber-700 dark:text-white">
            {p.text}
          </mark>
        ) : (
          <span key={i}>{p.text}</span>
        ),
      )}
    </span>
  );
}

export interface HistoryQuery {
  q: string;
  alertname: string;
  namespace: string;
  status: string;
  source: string;
  windowLabel: string;
}

/** What was looked for, in words, for the empty state: `“cuda oom” in alert names starting with Model…, last 24 hours`. */
export function describeSearch(h: HistoryQuery, terms: readonly string[] | undefined): string {
  const parts: string[] = [];
  if (h.alertname) parts.push(`alert name starting with “${h.alertname}”`);
  if (h.namespace) parts.push(`namespace starting with “${h.namespace}”`);
  if (h.status) parts.push(`status ${h.status}`);
  if (h.source) parts.push(`reports by ${h.source === "gemini" ? "Gemini" : "the offline analyzer"}`);
  parts.push(h.windowLabel);
  const where = parts.join(", ");
  if (!h.q) return `No analyses with ${where}.`;
  if (terms && terms.length === 0) return `“${h.q}” has no letters or digits to search for (${where}).`;
  return `No analyses match “${h.q}” (${where}).`;
}
