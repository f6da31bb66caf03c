"use client";

import { useId, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Modal } from "@/components/ui/modal";
import { tabProps } from "@/components/ui/tabs";
import { GithubMarkdown } from "./github-markdown";
import { analysisKeys } from "@/lib/analysis/api";
import { isApiError } from "@/lib/api-client";
import { fetchIssuePreview, fileIssue } from "@/lib/github/api";
import { CopyButton } from "./copy-button";

const VIEWS = ["preview", "markdown"] as const;
type View = (typeof VIEWS)[number];

/**
 * Preview of the GitHub issue (title, labels, the body rendered as GitHub renders it, or its raw markdown); files on
 * confirm, or explains what is missing. A modal: focus stays inside, Esc closes, focus returns to the opener.
 */
export function IssueDialog({ analysisId, onClose }: { analysisId: string; onClose: () => void }) {
  const qc = useQueryClient();
  const id = useId();
  const [view, setView] = useState<View>("preview");
  const tabs = tabProps(`${id}-issue`, VIEWS, view, setView);
  const preview = useQuery({ queryKey: analysisKeys.preview(analysisId), queryFn: ({ signal }) => fetchIssuePreview(analysisId, signal) });
  const file = useMutation({
    mutationFn: () => fileIssue(analysisId),
    onSuccess: () => void qc.invalidateQueries({ queryKey: analysisKeys.all }),
  });
  const p = preview.data;

  return (
    <Modal labelledBy={`${id}-title`} onClose={onClose} data-testid="issue-dialog">
      <div className="min-w-0">
        <div className="sticky -top-4 z-10 -mx-4 -mt-4 mb-3 flex items-center justify-between gap-2 bg-white px-4 py-3 dark:bg-slate-900">
          <h2 id={`${id}-title`} className="text-base font-semibold">
            File GitHub issue
          </h2>
          <button type="button" onClick={onClose} className="rounded px-2 py-1 text-sm text-slate-700 hover:underline dark:text-slate-300">
            Close
          </button>
        </div>
        {preview.isPending && <p className="text-sm text-slate-600 dark:text-slate-400">Building the issue…</p>}
        {preview.error && <p className="text-sm text-red-700">{preview.error.message}</p>}
        {p && (
          <div className="space-y-3">
            {!p.configured && (
              <p role="alert" className="rounded bg-amber-50 p-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100">
                GitHub filing is not configured: set {p.missing.join(" and ")}. You can still copy the markdown below and file it by hand.
              </p>
            )}
            {p.refused && (
              <p role="alert" data-testid="issue-refused" className="rounded bg-amber-50 p-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100">
                Not filed: {p.refused}
              </p>
            )}
            {p.existing && (
              <p className="text-sm">
                An open issue already tracks this alert:{" "}
                <a className="text-sky-700 underline" href={p.existing.url} target="_blank" rel="noopener noreferrer">
                  #{p.existing.number}
                </a>
                . Filing adds this analysis as a comment.
              </p>
            )}
            <div>
              <div className="text-xs uppercase text-slate-600 dark:text-slate-400">Title</div>
              <div data-testid="issue-title" className="break-words font-mono text-sm">
                {p.title}
              </div>
            </div>
            <div className="flex flex-wrap gap-1" data-testid="issue-labels">
              {p.labels.map((l) => (
                <span key={l} className="rounded-full bg-slate-200 px-2 py-0.5 text-xs dark:bg-slate-700">
                  {l}
                </span>
              ))}
            </div>
            <div>
              <div role="tablist" aria-label="Issue body" className="flex border-b border-slate-200 text-sm dark:border-slate-800">
                {VIEWS.map((v) => (
                  <button key={v} {...tabs.tab(v)} className={view === v ? "border-b-2 border-sky-600 px-3 py-1.5 font-medium" : "px-3 py-1.5 text-slate-600 dark:text-slate-400"}>
                    {v === "preview" ? "Preview" : "Markdown"}
                  </button>
                ))}
              </div>
              <div {...tabs.panel} className="max-h-[50vh] overflow-auto rounded-b border border-t-0 border-slate-200 p-3 text-sm dark:border-slate-800">
                {view === "preview" ? (
                  <GithubMarkdown>{p.body}</GithubMarkdown>
                ) : (
                  <pre data-testid="issue-markdown" className="whitespace-pre-wrap break-words font-mono text-xs">
                    {p.body}
                  </pre>
                )}
              </div>
            </div>
            <div className="flex flex-wrap items-center gap-2">
              <CopyButton text={`# ${p.title}\n\n${p.body}`} label="Copy issue markdown" />
              <button
                type="button"
                disabled={!p.configured || !!p.refused || file.isPending || file.isSuccess}
                onClick={() => file.mutate()}
                className="rounded bg-slate-900 px-3 py-1.5 text-sm font-medium text-white disabled:opacity-40 dark:bg-slate-100 dark:text-slate-900"
              >
                {file.isPending ? "Filing…" : p.existing ? "Add comment to issue" : "File issue"}
              </button>
              {file.data && (
                <a href={file.data.url} target="_blank" rel="noopener noreferrer" className="text-sm text-sky-700 underline">
                  {file.data.action === "created" ? "Filed" : "Commented on"} #{file.data.number}
                </a>
              )}
              {file.error && (
                <span role="alert" className="text-sm text-red-700">
                  {file.error.message}
                  {isApiError(file.error) && file.error.hint ? ` — ${file.error.hint}` : ""}
                </span>
              )}
            </div>
          </div>
        )}
      </div>
    </Modal>
  );
}
