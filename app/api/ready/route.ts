import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { describeError } from "@/lib/errors";

export const dynamic = "force-dynamic";

/** Readiness: configuration valid and the store reachable. */
export async function GET() {
  try {
    const s = await getServices();
    await s.store.ping();
    return NextResponse.json({ status: "ready", demo: s.config.demo, gemini: !!s.gemini, github: s.filer.configured });
  } catch (e) {
    return NextResponse.json({ status: "not ready", reason: describeError(e).split("\n")[0] }, { status: 503 });
  }
}
