"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { alertKeys } from "@/lib/alerts/api";
import { analysisKeys, startAnalysis } from "@/lib/analysis/api";
import { isApiError } from "@/lib/api-client";
import { Button } from "@/components/ui/button";

/** Start (or join) the analysis of one alert by its fingerprint, then open the analysis's page. */
export function useAnalyzeAlert() {
  const router = useRouter();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (fingerprint: string) => startAnalysis({ fingerprint }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: analysisKeys.all });
      void qc.invalidateQueries({ queryKey: alertKeys.all });
      router.push(`/analyses/${encodeURIComponent(r.id)}`);
    },
  });
}

/** The row's Analyze button; the `a` shortcut clicks it. */
export function AnalyzeButton({ fingerprint }: { fingerprint: string }) {
  const analyze = useAnalyzeAlert();
  return (
    <span className="inline-flex items-center gap-2">
      <Button size="sm" variant="outline" data-testid="row-analyze" disabled={analyze.isPending} onClick={() => analyze.mutate(fingerprint)}>
        {analyze.isPending ? "Starting…" : "Analyze"}
      </Button>
      {analyze.error && (
        <span role="alert" className="text-xs text-red-700 dark:text-red-400">
          {analyze.error.message}
          {isApiError(analyze.error) && analyze.error.hint ? ` ${analyze.error.hint}` : ""}
        </span>
      )}
    </span>
  );
}
