import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { getSilenceClient, validateSilenceInput } from "@/lib/alerts/silences";
import { formatMatchers } from "@/lib/alerts/matchers";
import { createSilenceRequestSchema, type CreateSilenceResponse, type SilenceListResponse } from "@/lib/alerts/silence-api";
import { readJson, withRoute } from "@/lib/server/route";

export const dynamic = "force-dynamic";

/** Active and pending silences of every configured Alertmanager (an HA pair's copies merged). */
export const GET = withRoute(async () => {
  const s = await getServices();
  const client = getSilenceClient(s.config);
  const r = await client.listSilences();
  const silences = r.silences.filter((x) => x.state !== "expired").sort((a, b) => Date.parse(a.endsAt) - Date.parse(b.endsAt));
  const body: SilenceListResponse = { silences, errors: r.errors, alertmanagers: client.names };
  return NextResponse.json(body, { headers: { "cache-control": "no-store" } });
});

/**
 * Silence (or, with `ack`, acknowledge) the alerts the matchers select, created by the signed-in user,
 * once per Alertmanager cluster; 201 with the ids. The alert list's cache is dropped so the next refresh shows it.
 */
export const POST = withRoute(
  async ({ req, user, log }) => {
    const body = await readJson(req, createSilenceRequestSchema, 64 * 1024);
    const s = await getServices();
    const input = validateSilenceInput(body, s.config.ackDurationMinutes);
    const r = await getSilenceClient(s.config).createSilence(input, user, { sources: body.sources });
    s.alerts.invalidate?.();
    const action = body.ack ? "silence.acknowledged" : "silence.created";
    const matchers = formatMatchers(input.matchers);
    for (const c of r.created) {
      await s.store.addAudit(user, action, c.id, { source: c.source, matchers, endsAt: r.endsAt, comment: input.comment });
    }
    log.info({ event: action, ids: r.created.map((c) => c.id), matchers }, "silence created");
    const res: CreateSilenceResponse = r;
    return NextResponse.json(res, { status: 201 });
  },
  { rateLimit: "silence" },
);
