"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { alertKeys } from "@/lib/alerts/api";
import {
  createSilenceResponseSchema,
  silenceKeys,
  silenceListResponseSchema,
  type CreateSilenceRequest,
  type CreateSilenceResponse,
  type SilenceListResponse,
} from "@/lib/alerts/silence-api";

/** A failed silence request, with the server's message (which names the field) and hint. */
export class SilenceApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly hint?: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "SilenceApiError";
  }
}

const errorBodySchema = z.object({
  error: z.object({ message: z.string(), hint: z.string().optional(), details: z.object({ field: z.string().optional() }).loose().optional() }),
});

async function request<T extends z.ZodType>(url: string, schema: T, init?: RequestInit): Promise<z.infer<T>> {
  const res = await fetch(url, { ...init, headers: { "content-type": "application/json", ...init?.headers } });
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const e = errorBodySchema.safeParse(body);
    throw e.success
      ? new SilenceApiError(e.data.error.message, res.status, e.data.error.hint, e.data.error.details?.field)
      : new SilenceApiError(`The console answered HTTP ${res.status}`, res.status, "Reload the page; if it persists, check the console's server log");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new SilenceApiError("The console sent an answer this page cannot read", res.status, "Reload the page to pick up the current version");
  return parsed.data;
}

/** Active and pending silences of every Alertmanager, refreshed like the alert list. */
export function useSilences() {
  return useQuery({
    queryKey: silenceKeys.list(),
    queryFn: (): Promise<SilenceListResponse> => request("/api/silences", silenceListResponseSchema),
    refetchInterval: 10_000,
  });
}

/** Silences and the alert list both change after a mutation: refetch both at once (the server dropped its caches). */
function useInvalidate() {
  const qc = useQueryClient();
  return () => Promise.all([qc.invalidateQueries({ queryKey: silenceKeys.all }), qc.invalidateQueries({ queryKey: alertKeys.all })]);
}

/** Create a silence, or with `ack` an acknowledgement. */
export function useCreateSilence() {
  const invalidate = useInvalidate();
  return useMutation<CreateSilenceResponse, SilenceApiError, CreateSilenceRequest>({
    mutationFn: (body) => request("/api/silences", createSilenceResponseSchema, { method: "POST", body: JSON.stringify(body) }),
    onSuccess: () => invalidate(),
  });
}

/** Expire a silence on the Alertmanagers that hold it. */
export function useExpireSilence() {
  const invalidate = useInvalidate();
  return useMutation<unknown, SilenceApiError, { id: string; sources: string[] }>({
    mutationFn: ({ id, sources }) => {
      const q = new URLSearchParams(sources.map((s) => ["source", s]));
      return request(`/api/silences/${encodeURIComponent(id)}?${q}`, z.object({ id: z.string() }), { method: "DELETE" });
    },
    onSuccess: () => invalidate(),
  });
}
