"use client";

import { useEffect, useId, useRef, useState } from "react";
import type { SilenceMatcher } from "@/lib/alerts/silence-api";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { trapTab } from "@/components/ui/modal";
import { useCreateSilence } from "@/components/alerts/use-silences";

const DURATIONS: [number, string][] = [
  [30, "30 minutes"],
  [60, "1 hour"],
  [240, "4 hours"],
  [1440, "1 day"],
  [10080, "7 days"],
];
const OPS: [SilenceMatcher["op"], string][] = [
  ["=", "= equals"],
  ["!=", "!= not equal"],
  ["=~", "=~ matches regex"],
  ["!~", "!~ does not match regex"],
];

/**
 * A modal (native <dialog>: the rest of the page is inert, Esc closes it, Tab stays inside) to create a silence with
 * matchers prefilled from an alert or group, a duration and a comment. Focus returns to the opener.
 */
export function SilenceDialog({
  title,
  initialMatchers,
  sources,
  onClose,
}: {
  title: string;
  initialMatchers: SilenceMatcher[];
  sources: string[];
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [matchers, setMatchers] = useState(initialMatchers);
  const [duration, setDuration] = useState(60);
  const [comment, setComment] = useState("");
  const create = useCreateSilence();

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const dialog = ref.current;
    dialog?.showModal();
    return () => {
      dialog?.close();
      opener?.focus();
    };
  }, []);

  const field = create.error?.field;
  // Take the person to the field the server named.
  useEffect(() => {
    if (field) ref.current?.querySelector<HTMLElement>("[aria-invalid=true]")?.focus();
  }, [field, create.error]);
  const invalid = (f: string) => (field === f || (field === "matchers" && f.startsWith("matchers")) ? true : undefined);
  const update = (i: number, change: Partial<SilenceMatcher>) => setMatchers((ms) => ms.map((m, j) => (j === i ? { ...m, ...change } : m)));

  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      data-testid="silence-dialog"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onKeyDown={(e) => trapTab(e, ref.current)}
      className="m-auto w-[min(44rem,calc(100vw-2rem))] rounded-lg bg-white p-4 text-slate-900 shadow-xl backdrop:bg-black/40 dark:bg-slate-900 dark:text-slate-100"
    >
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (create.isPending) return;
          create.mutate({ matchers, durationMinutes: duration, comment, sources }, { onSuccess: onClose });
        }}
      >
        <h2 id={`${id}-title`} className="text-base font-semibold">
          {title}
        </h2>
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium">Matchers</legend>
          {matchers.map((m, i) => (
            <div key={i} className="flex flex-wrap items-center gap-2">
              <Input className="w-40" aria-label={`Matcher ${i + 1} label`} value={m.name} aria-invalid={invalid(`matchers.${i}.name`)} onChange={(e) => update(i, { name: e.target.value })} />
              <Select aria-label={`Matcher ${i + 1} operator`} value={m.op} onChange={(e) => update(i, { op: OPS.find(([op]) => op === e.target.value)?.[0] ?? "=" })}>
                {OPS.map(([op, label]) => (
                  <option key={op} value={op}>
                    {label}
                  </option>
                ))}
              </Select>
              <Input className="min-w-0 flex-1" aria-label={`Matcher ${i + 1} value`} value={m.value} aria-invalid={invalid(`matchers.${i}.value`)} onChange={(e) => update(i, { value: e.target.value })} />
              <Button variant="ghost" size="sm" aria-label={`Remove matcher ${i + 1}`} onClick={() => setMatchers((ms) => ms.filter((_, j) => j !== i))}>
                ✕
              </Button>
            </div>
          ))}
          <Button variant="outline" size="sm" onClick={() => setMatchers((ms) => [...ms, { name: "", op: "=", value: "" }])}>
            Add matcher
          </Button>
        </fieldset>
        <label className="block text-sm">
          <span className="font-medium">Duration</span>
          <Select className="ml-2" value={duration} onChange={(e) => setDuration(Number(e.target.value))} aria-invalid={invalid("durationMinutes")}>
            {DURATIONS.map(([m, label]) => (
              <option key={m} value={m}>
                {label}
              </option>
            ))}
          </Select>
        </label>
        <label className="block text-sm">
          <span className="font-medium">Comment</span>
          <textarea
            value={comment}
            onChange={(e) => setComment(e.target.value)}
            aria-invalid={invalid("comment")}
            rows={2}
            maxLength={1000}
            placeholder="Why, e.g. the pod is being redeployed"
            className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm placeholder:text-slate-500 aria-invalid:border-red-500 dark:border-slate-700 dark:bg-slate-900"
          />
        </label>
        {create.error && (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400">
            {create.error.message}
            {create.error.hint ? ` ${create.error.hint}` : ""}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <Button variant="outline" onClick={onClose}>
            Cancel
          </Button>
          {/* aria-disabled, not disabled: a disabled button drops focus to <body> mid-dialog. */}
          <Button type="submit" aria-disabled={create.isPending || undefined}>
            {create.isPending ? "Creating…" : "Create silence"}
          </Button>
        </div>
      </form>
    </dialog>
  );
}
