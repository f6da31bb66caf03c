"use client";

import Markdown from "react-markdown";
import { cn } from "@/lib/utils";

/**
 * Markdown from untrusted sources (model output, logs, labels): no raw HTML, no images (no remote
 * beacons), links open in a new tab without referrer; react-markdown drops javascript: URLs.
 */
export function SafeMarkdown({ children }: { children: string }) {
  return (
    <Markdown
      skipHtml
      disallowedElements={["img"]}
      unwrapDisallowed
      components={{
        a: ({ href, children }) => (
          <a href={href} target="_blank" rel="noopener noreferrer nofollow" className="text-sky-700 underline dark:text-sky-300">
            {children}
          </a>
        ),
        h1: ({ children }) => <h2 className="mb-2 mt-4 text-lg font-semibold">{children}</h2>,
        h2: ({ children }) => <h3 className="mb-2 mt-4 text-base font-semibold">{children}</h3>,
        h3: ({ children }) => <h4 className="mb-1 mt-3 font-semibold">{children}</h4>,
        h4: ({ children }) => <h5 className="mb-1 mt-3 font-medium">{children}</h5>,
        ul: ({ children }) => <ul className="ml-5 list-disc space-y-1">{children}</ul>,
        ol: ({ children }) => <ol className="ml-5 list-decimal space-y-1">{children}</ol>,
        // A fenced block's <code> must not take the inline-code chip colours (light text on a light chip).
        pre: ({ children }) => (
          <pre tabIndex={0} className="my-2 overflow-x-auto rounded bg-slate-900 p-2 text-xs text-slate-100 [&>code]:bg-transparent [&>code]:p-0 [&>code]:text-inherit">{children}</pre>
        ),
        code: ({ children, className }) => <code className={cn("rounded bg-slate-100 px-1 text-xs [overflow-wrap:anywhere] dark:bg-slate-800", className)}>{children}</code>,
        p: ({ children }) => <p className="my-2">{children}</p>,
        // A wide table scrolls inside its own box instead of widening the page (390 px phones).
        table: ({ children }) => (
          <div tabIndex={0} className="my-2 max-w-full overflow-x-auto">
            <table className="w-full text-left text-xs">{children}</table>
          </div>
        ),
        td: ({ children }) => <td className="border-t border-slate-200 p-1 align-top dark:border-slate-800">{children}</td>,
        hr: () => <hr className="my-3 border-slate-200 dark:border-slate-800" />,
      }}
    >
      {children}
    </Markdown>
  );
}
