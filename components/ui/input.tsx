import { cn } from "@/lib/utils";

export function Input({ className, ...props }: React.ComponentProps<"input">) {
  return (
    <input
      data-slot="input"
      className={cn(
        "h-9 w-full rounded-md border border-slate-300 bg-white px-3 text-sm placeholder:text-slate-500 dark:placeholder:text-slate-400 focus-visible:outline-2 focus-visible:outline-sky-500 aria-invalid:border-red-500 dark:border-slate-700 dark:bg-slate-900",
        className,
      )}
      {...props}
    />
  );
}
