import { NextResponse } from "next/server";
import { getServices } from "@/lib/server/services";
import { describeError, isAppError } from "@/lib/errors";

export const dynamic = "force-dynamic";

/** Readiness: configuration valid and the store writable (a real write, cached for a second or two). */
export async function GET() {
  try {
    const s = await getServices();
    await s.store.checkWritable();
    return NextResponse.json({ status: "ready", demo: s.config.demo, gemini: !!s.gemini, github: s.filer.configured });
  } catch (e) {
    const reason = (isAppError(e) ? e.message : describeError(e)).split("\n")[0];
    return NextResponse.json({ status: "not ready", reason, ...(isAppError(e) && e.hint ? { hint: e.hint } : {}) }, { status: 503 });
  }
}
