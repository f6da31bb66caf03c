import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { readJson, withRoute } from "@/lib/server/route";
import { feedbackInputSchema } from "@/lib/feedback/types";
import type { FeedbackStateResponse } from "@/lib/feedback/api";

export const dynamic = "force-dynamic";

/** The analysis's feedback: the latest and the history. */
export const GET = withRoute<{ id: string }>(async ({ params }) => {
  const s = await getServices();
  return NextResponse.json((await s.triage.getFeedback(params.id.slice(0, 64))) satisfies FeedbackStateResponse);
});

/** Give feedback: which hypothesis was right (or none, with the actual cause) and what fixed it. */
export const POST = withRoute<{ id: string }>(
  async ({ req, params, user }) => {
    const body = await readJson(req, feedbackInputSchema, 16 * 1024);
    const s = await getServices();
    return NextResponse.json((await s.triage.giveFeedback(params.id.slice(0, 64), body, user)) satisfies FeedbackStateResponse, { status: 201 });
  },
  { rateLimit: "feedback" },
);
