import { Badge } from "@/components/ui/badge";

/** Click a chip to filter by its label, alt-click (or shift-click) to exclude it. */
export type ChipHandler = (name: string, value: string, exclude: boolean) => void;

/** Label chips, the most useful first, capped so a label-heavy alert stays one or two lines; buttons that filter when onChip is given. */
export function LabelChips({ labels, hide = [], max = 8, onChip }: { labels: Record<string, string>; hide?: readonly string[]; max?: number; onChip?: ChipHandler }) {
  const entries = Object.entries(labels).filter(([k]) => !hide.includes(k));
  const shown = entries.slice(0, max);
  return (
    <ul className="flex flex-wrap gap-1" aria-label="labels">
      {shown.map(([k, v]) => {
        const chip = (
          <Badge variant="outline" className="block max-w-96 gap-0 truncate font-mono font-normal" title={onChip ? `${k}="${v}": click to filter, Alt-click to exclude` : `${k}="${v}"`}>
            <span className="text-slate-500">{k}=</span>
            {v}
          </Badge>
        );
        return (
          <li key={k}>
            {onChip ? (
              <button
                type="button"
                data-testid="label-chip"
                aria-label={`Filter by ${k}="${v}" (Alt-click to exclude)`}
                className="block rounded-md hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-600 dark:hover:bg-slate-800"
                onClick={(e) => onChip(k, v, e.altKey || e.shiftKey)}
              >
                {chip}
              </button>
            ) : (
              chip
            )}
          </li>
        );
      })}
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
