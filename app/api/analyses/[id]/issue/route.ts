import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { withRoute } from "@/lib/server/route";
import type { FileIssueResponse, IssuePreview } from "@/lib/github/api";

export const dynamic = "force-dynamic";

/** The issue this analysis would file (shown even when GitHub is not configured). */
export const GET = withRoute<{ id: string }>(async ({ params }) => {
  const s = await getServices();
  return NextResponse.json((await s.triage.issuePreview(params.id.slice(0, 64))) satisfies IssuePreview);
});

/** File it (or comment on the open issue for the same alert). */
export const POST = withRoute<{ id: string }>(
  async ({ params, user }) => {
    const s = await getServices();
    return NextResponse.json((await s.triage.fileIssue(params.id.slice(0, 64), user)) satisfies FileIssueResponse, { status: 201 });
  },
  { rateLimit: "file-issue" },
);
