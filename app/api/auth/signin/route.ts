import { loadConfig } from "@/lib/config";
import { secretsMatch, signSession } from "@/lib/auth/crypto";
import { sameOrigin, SESSION_COOKIE } from "@/lib/auth/authenticate";
import { createRateLimiter } from "@/lib/auth/rate-limit";
import { readTextLimited, seeOther, withRoute } from "@/lib/server/route";
import { AppError } from "@/lib/errors";

const attempts = createRateLimiter(10);

function safeNext(v: string | null): string {
  return v && v.startsWith("/") && !v.startsWith("//") && !v.startsWith("/\\") ? v : "/";
}

/** Token sign-in: exchanges AUTH_TOKEN for an HttpOnly, SameSite=Strict session cookie. */
export const POST = withRoute(
  async ({ req, log }) => {
    const config = loadConfig();
    if (config.auth.mode !== "token" || !config.auth.token) {
      throw new AppError("not_found", "Token sign-in is not enabled.", { hint: "Set AUTH_MODE=token and AUTH_TOKEN." });
    }
    if (!sameOrigin(req.headers)) throw new AppError("forbidden", "Cross-origin sign-in refused.");
    attempts.check(req.headers.get("x-triage-peer") ?? "unknown", "sign-in");
    const form = new URLSearchParams(await readTextLimited(req, 8 * 1024));
    const token = form.get("token") ?? "";
    const name = (form.get("name") ?? "").trim().slice(0, 64) || "token user";
    const next = safeNext(form.get("next"));
    if (!(await secretsMatch(token, config.auth.token))) {
      log.warn({ event: "signin.failed" }, "sign-in with a wrong token");
      return seeOther(`/signin?error=1&next=${encodeURIComponent(next)}`);
    }
    const exp = Math.floor(Date.now() / 1000) + config.auth.sessionHours * 3600;
    const value = await signSession(config.auth.token, { sub: name.replace(/[^\w .@-]/g, "_"), exp });
    log.info({ event: "signin", user: name }, "signed in");
    const res = seeOther(next);
    res.cookies.set(SESSION_COOKIE, value, {
      httpOnly: true,
      sameSite: "strict",
      secure: req.nextUrl.protocol === "https:" || req.headers.get("x-forwarded-proto") === "https",
      path: "/",
      maxAge: config.auth.sessionHours * 3600,
    });
    return res;
  },
  { public: true },
);
