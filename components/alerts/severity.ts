import type { BadgeVariant } from "@/components/ui/badge";

/** Badge colour for a severity label value. */
export function severityVariant(severity: string | undefined): BadgeVariant {
  switch ((severity ?? "").toLowerCase()) {
    case "critical":
    case "error":
      return "critical";
    case "warning":
      return "warning";
    case "info":
      return "info";
    default:
      return "muted";
  }
}

/** Left-border colour of a row or group, by severity. */
export function severityBorder(severity: string | undefined): string {
  switch (severityVariant(severity)) {
    case "critical":
      return "border-l-red-600";
    case "warning":
      return "border-l-amber-500";
    case "info":
      return "border-l-sky-600";
    default:
      return "border-l-slate-400";
  }
}
