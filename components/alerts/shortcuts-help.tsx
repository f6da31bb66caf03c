"use client";

import { Button } from "@/components/ui/button";
import { LIST_SHORTCUTS } from "@/components/alerts/list-view";

/** The keyboard shortcuts of the alert list (`?` toggles it, Esc closes it). */
export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  return (
    <div role="dialog" aria-label="Keyboard shortcuts" data-testid="shortcuts-help" className="fixed bottom-4 right-4 z-20 w-72 rounded-lg border border-slate-300 bg-white p-4 text-sm shadow-lg dark:border-slate-700 dark:bg-slate-900">
      <div className="mb-2 flex items-center justify-between">
        <h2 className="font-semibold">Keyboard shortcuts</h2>
        <Button size="sm" variant="ghost" onClick={onClose}>
          Close
        </Button>
      </div>
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
        {LIST_SHORTCUTS.map(([key, what]) => (
          <div key={key} className="contents">
            <dt>
              <kbd className="rounded border border-slate-300 px-1 font-mono text-xs dark:border-slate-600">{key}</kbd>
            </dt>
            <dd className="text-slate-700 dark:text-slate-300">{what}</dd>
          </div>
        ))}
      </dl>
      <p className="mt-2 text-xs text-slate-600 dark:text-slate-400">Ignored while typing in a field. Alt-click a label chip to exclude it.</p>
    </div>
  );
}
