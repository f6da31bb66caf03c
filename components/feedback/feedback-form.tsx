"use client";

import { useId, useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { analysisKeys } from "@/lib/analysis/api";
import { signalCategorySchema } from "@/lib/analysis/types";
import { isApiError } from "@/lib/api-client";
import { feedbackKeys, sendFeedback } from "@/lib/feedback/api";
import { MAX_CAUSE_CHARS, MAX_CONFIRMED_RANK, MAX_FIX_CHARS, type Feedback } from "@/lib/feedback/types";

export interface HypothesisChoice {
  title: string;
  category?: string;
}

const field = "w-full rounded border border-slate-300 px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-950";

/** Which hypothesis was right (or none, and the actual cause), and what fixed it. */
export function FeedbackForm({ analysisId, hypotheses, current, onDone }: { analysisId: string; hypotheses: HypothesisChoice[]; current?: Feedback; onDone: () => void }) {
  const id = useId();
  const qc = useQueryClient();
  const choices = hypotheses.slice(0, MAX_CONFIRMED_RANK);
  const [verdict, setVerdict] = useState<string>(current ? (current.rank === null ? "none" : String(current.rank)) : "");
  const save = useMutation({
    mutationFn: (form: FormData) => {
      const text = (name: string) => String(form.get(name) ?? "").trim();
      const none = verdict === "none";
      const category = signalCategorySchema.safeParse(text("category"));
      return sendFeedback(analysisId, {
        rank: none ? null : Number(verdict),
        fix: text("fix"),
        ...(none && text("actualCause") ? { actualCause: text("actualCause") } : {}),
        ...(none && category.success ? { category: category.data } : {}),
      });
    },
    onSuccess: (state) => {
      qc.setQueryData(feedbackKeys.detail(analysisId), state);
      void qc.invalidateQueries({ queryKey: analysisKeys.all });
      onDone();
    },
  });

  return (
    <form
      aria-label="Feedback"
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(new FormData(e.currentTarget));
      }}
    >
      <fieldset className="space-y-1">
        <legend className="text-sm font-medium">Which hypothesis was right?</legend>
        {choices.map((h, i) => (
          <label key={i} className="flex items-start gap-2 text-sm">
            <input type="radio" name="verdict" value={String(i + 1)} checked={verdict === String(i + 1)} onChange={() => setVerdict(String(i + 1))} required className="mt-1" />
            <span>
              #{i + 1} {h.title}
              {h.category ? <span className="text-slate-500"> ({h.category})</span> : null}
            </span>
          </label>
        ))}
        <label className="flex items-center gap-2 text-sm">
          <input type="radio" name="verdict" value="none" checked={verdict === "none"} onChange={() => setVerdict("none")} required />
          None of them
        </label>
      </fieldset>
      {verdict === "none" && (
        <div className="space-y-2">
          <label className="block text-sm" htmlFor={`${id}-cause`}>
            What was the actual cause?
          </label>
          <textarea id={`${id}-cause`} name="actualCause" required maxLength={MAX_CAUSE_CHARS} rows={2} defaultValue={current?.actualCause} className={field} />
          <label className="block text-sm" htmlFor={`${id}-category`}>
            Category (optional)
          </label>
          <select id={`${id}-category`} name="category" defaultValue={current?.rank === null ? (current.category ?? "") : ""} className={field}>
            <option value="">—</option>
            {signalCategorySchema.options.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
      )}
      <div className="space-y-1">
        <label className="block text-sm" htmlFor={`${id}-fix`}>
          What fixed it?
        </label>
        <textarea id={`${id}-fix`} name="fix" required maxLength={MAX_FIX_CHARS} rows={3} defaultValue={current?.fix} className={field} />
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <button type="submit" disabled={save.isPending || !verdict} className="rounded bg-sky-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-sky-800 disabled:opacity-50">
          {save.isPending ? "Saving…" : "Save feedback"}
        </button>
        <button type="button" onClick={onDone} className="rounded px-2 py-1 text-sm text-slate-700 hover:underline dark:text-slate-300">
          Cancel
        </button>
        {save.error && (
          <span role="alert" className="text-sm text-red-700">
            {save.error.message}
            {isApiError(save.error) && save.error.hint ? ` — ${save.error.hint}` : ""}
          </span>
        )}
      </div>
    </form>
  );
}
