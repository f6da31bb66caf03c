"use client";

import { useEffect, useRef } from "react";
import { cn } from "@/lib/utils";

const FOCUSABLE = "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [href], [tabindex]:not([tabindex='-1'])";

/** Keep Tab inside the dialog: a modal <dialog> makes the page inert but lets focus leave for the browser's own UI. */
export function trapTab(e: React.KeyboardEvent, dialog: HTMLElement | null): void {
  if (e.key !== "Tab" || !dialog) return;
  const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0);
  const first = items[0];
  const last = items.at(-1);
  if (!first || !last) return;
  const active = document.activeElement;
  if (!active || !dialog.contains(active)) {
    e.preventDefault();
    (e.shiftKey ? last : first).focus();
  } else if (e.shiftKey && active === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && active === last) {
    e.preventDefault();
    first.focus();
  }
}

/**
 * A modal on the native <dialog>: the rest of the page is inert, Esc closes it, Tab stays inside, and focus returns to
 * the element that had it when the modal opened. Fits a 390 px phone: never wider than the viewport, its own scroll.
 */
export function Modal({
  labelledBy,
  onClose,
  className,
  children,
  ...rest
}: { labelledBy: string; onClose: () => void; className?: string; children: React.ReactNode } & Omit<React.HTMLAttributes<HTMLDialogElement>, "onKeyDown" | "onCancel">) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => {
      dialog?.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={labelledBy}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onKeyDown={(e) => trapTab(e, ref.current)}
      className={cn(
        "m-auto max-h-[calc(100dvh-1rem)] w-[min(48rem,calc(100vw-1rem))] max-w-[calc(100vw-1rem)] overflow-auto rounded-lg bg-white p-4 text-slate-900 shadow-xl backdrop:bg-black/40 dark:bg-slate-900 dark:text-slate-100",
        className,
      )}
      {...rest}
    >
      {children}
    </dialog>
  );
}
