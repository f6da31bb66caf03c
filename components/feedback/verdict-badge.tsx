import { Badge } from "@/components/ui/badge";
import { verdictLabel, type FeedbackBadge } from "@/lib/feedback/types";

/** "confirmed #2" (green for #1) or "none": an analysis's latest feedback in a list. */
export function VerdictBadge({ feedback }: { feedback: Pick<FeedbackBadge, "rank" | "actor" | "createdAt"> }) {
  const label = verdictLabel(feedback);
  return (
    <Badge
      data-testid="verdict-badge"
      variant={feedback.rank === null ? "muted" : "outline"}
      className={feedback.rank === 1 ? "border-emerald-600 text-emerald-800 dark:text-emerald-300" : undefined}
      title={`${label} by ${feedback.actor}, ${new Date(feedback.createdAt).toLocaleString()}`}
    >
      {label}
    </Badge>
  );
}
