"use client";

import { useState } from "react";

/** Copies text to the clipboard and says so. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      onClick={() => {
        void navigator.clipboard.writeText(text).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        });
      }}
      className="rounded border border-slate-300 px-3 py-1.5 text-sm dark:border-slate-700"
    >
      {copied ? "Copied" : label}
    </button>
  );
}
