"use client";

import Markdown from "react-markdown";
import rehypeRaw from "rehype-raw";
import rehypeSanitize, { defaultSchema, type Options as SanitizeSchema } from "rehype-sanitize";
import remarkGfm from "remark-gfm";
import { cn } from "@/lib/utils";

/**
 * rehype-sanitize's defaultSchema is GitHub's own allow-list (tables, <details>/<summary>, no scripts, no event
 * handlers, only http(s)/mailto/... URLs). Two changes: no <img> (no remote beacons from a preview of untrusted
 * evidence) and `open` kept on <details> as GitHub keeps it.
 */
export const githubSchema: SanitizeSchema = {
  ...defaultSchema,
  tagNames: (defaultSchema.tagNames ?? []).filter((t) => t !== "img" && t !== "picture" && t !== "source"),
  attributes: { ...defaultSchema.attributes, details: [...(defaultSchema.attributes?.details ?? []), "open"] },
};

/**
 * Markdown as GitHub renders an issue body: GitHub Flavored Markdown (tables, strikethrough, task lists, autolinks)
 * with raw HTML parsed and then sanitised to GitHub's allow-list. Used for the issue preview, so what is shown is what
 * will be filed.
 */
export function GithubMarkdown({ children, className }: { children: string; className?: string }) {
  return (
    <div className={cn("min-w-0 break-words", className)} data-testid="github-markdown">
      <Markdown
        remarkPlugins={[remarkGfm]}
        rehypePlugins={[rehypeRaw, [rehypeSanitize, githubSchema]]}
        components={{
          a: ({ href, children }) => (
            <a href={href} target="_blank" rel="noopener noreferrer nofollow" className="text-sky-700 underline dark:text-sky-300">
              {children}
            </a>
          ),
          h1: ({ children }) => <h3 className="mb-2 mt-4 text-lg font-semibold">{children}</h3>,
          h2: ({ children }) => <h4 className="mb-2 mt-4 text-base font-semibold">{children}</h4>,
          h3: ({ children }) => <h5 className="mb-1 mt-3 font-semibold">{children}</h5>,
          h4: ({ children }) => <h6 className="mb-1 mt-3 font-medium">{children}</h6>,
          ul: ({ children }) => <ul className="ml-5 list-disc space-y-1">{children}</ul>,
          ol: ({ children }) => <ol className="ml-5 list-decimal space-y-1">{children}</ol>,
          pre: ({ children }) => (
            <pre tabIndex={0} className="my-2 max-w-full overflow-x-auto rounded bg-slate-900 p-2 text-xs text-slate-100 [&>code]:bg-transparent [&>code]:p-0 [&>code]:text-inherit">{children}</pre>
          ),
          code: ({ children, className }) => <code className={cn("rounded bg-slate-100 px-1 text-xs [overflow-wrap:anywhere] dark:bg-slate-800", className)}>{children}</code>,
          p: ({ children }) => <p className="my-2">{children}</p>,
          table: ({ children }) => (
            <div tabIndex={0} className="my-2 max-w-full overflow-x-auto">
              <table className="w-full text-left text-xs">{children}</table>
            </div>
          ),
          th: ({ children }) => <th className="border-b border-slate-300 p-1 font-semibold dark:border-slate-700">{children}</th>,
          td: ({ children }) => <td className="border-t border-slate-200 p-1 align-top dark:border-slate-800">{children}</td>,
          details: ({ children }) => <details className="my-2 rounded border border-slate-200 p-2 dark:border-slate-800">{children}</details>,
          summary: ({ children }) => <summary className="cursor-pointer font-medium">{children}</summary>,
          hr: () => <hr className="my-3 border-slate-200 dark:border-slate-800" />,
        }}
      >
        {children}
      </Markdown>
    </div>
  );
}
