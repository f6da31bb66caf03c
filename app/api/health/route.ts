import { NextResponse } from "next/server";

export const dynamic = "force-dynamic";

/** Liveness: the process answers. Open to everyone; says nothing else. */
export function GET() {
  return NextResponse.json({ status: "ok" });
}
