import { cn } from "@/lib/utils";

const variants = {
  default: "border-transparent bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900",
  outline: "border-slate-300 text-slate-700 dark:border-slate-700 dark:text-slate-300",
  critical: "border-transparent bg-red-600 text-white",
  warning: "border-transparent bg-amber-500 text-slate-950",
  info: "border-transparent bg-sky-700 text-white",
  muted: "border-transparent bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300",
  demo: "border-transparent bg-fuchsia-600 text-white",
} as const;

export type BadgeVariant = keyof typeof variants;

export function Badge({ className, variant = "default", ...props }: React.ComponentProps<"span"> & { variant?: BadgeVariant }) {
  return (
    <span
      data-slot="badge"
      className={cn("inline-flex items-center gap-1 whitespace-nowrap rounded-md border px-1.5 py-0.5 text-xs font-medium", variants[variant], className)}
      {...props}
    />
  );
}
