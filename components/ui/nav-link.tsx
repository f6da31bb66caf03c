"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { cn } from "@/lib/utils";

/** A header link that marks itself current when its section is open. */
export function NavLink({ href, className, ...props }: React.ComponentProps<typeof Link> & { href: string }) {
  const pathname = usePathname();
  const current = href === "/" ? pathname === "/" || pathname.startsWith("/alerts") : pathname.startsWith(href);
  return (
    <Link
      href={href}
      aria-current={current ? "page" : undefined}
      className={cn(
        "rounded-md px-2 py-1 text-sm text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-400 dark:hover:bg-slate-800 dark:hover:text-slate-100",
        current && "bg-slate-100 font-medium text-slate-900 dark:bg-slate-800 dark:text-slate-100",
        className,
      )}
      {...props}
    />
  );
}
