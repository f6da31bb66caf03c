import { Badge } from "@/components/ui/badge";

/** Label chips, the most useful first, capped so a label-heavy alert stays one or two lines. */
export function LabelChips({ labels, hide = [], max = 8 }: { labels: Record<string, string>; hide?: readonly string[]; max?: number }) {
  const entries = Object.entries(labels).filter(([k]) => !hide.includes(k));
  const shown = entries.slice(0, max);
  return (
    <ul className="flex flex-wrap gap-1" aria-label="labels">
      {shown.map(([k, v]) => (
        <li key={k}>
          <Badge variant="outline" className="block max-w-96 gap-0 truncate font-mono font-normal" title={`${k}="${v}"`}>
            <span className="text-slate-500">{k}=</span>
            {v}
          </Badge>
        </li>
      ))}
      {entries.length > max && (
        <li>
          <Badge variant="muted" title={entries.slice(max).map(([k, v]) => `${k}="${v}"`).join("\n")}>
            +{entries.length - max}
          </Badge>
        </li>
      )}
    </ul>
  );
}
