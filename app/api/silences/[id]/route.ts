import { NextResponse } from "next/server";
import { z } from "zod";
import { getServices } from "@/lib/server/services";
import { getSilenceClient } from "@/lib/alerts/silences";
import { AppError } from "@/lib/errors";
import { withRoute } from "@/lib/server/route";

export const dynamic = "force-dynamic";

const idSchema = z.uuid();

/** Expire a silence (`?source=name` repeated: the Alertmanagers that hold it; all when absent). */
export const DELETE = withRoute<{ id: string }>(
  async ({ req, params, user, log }) => {
    const id = params.id.slice(0, 64);
    if (!idSchema.safeParse(id).success) {
      throw new AppError("unprocessable", `Silence id "${id}" is not a silence id (a UUID such as 5e1cfa32-1196-4f56-87e6-f2af82c30fb1).`, {
        details: { field: "id" },
      });
    }
    const sources = req.nextUrl.searchParams.getAll("source").slice(0, 50);
    const s = await getServices();
    const r = await getSilenceClient(s.config).expireSilence(id, { sources: sources.length ? sources : undefined });
    s.alerts.invalidate?.();
    await s.store.addAudit(user, "silence.expired", id, { sources: r.expired });
    log.info({ event: "silence.expired", id }, "silence expired");
    return NextResponse.json({ id, expired: r.expired });
  },
  { rateLimit: "silence" },
);
