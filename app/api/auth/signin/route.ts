import { randomUUID } from "node:crypto";
import { loadConfig } from "@/lib/config";
import { secretsMatch, signSession } from "@/lib/auth/crypto";
import { safeNextPath, sameOrigin, sessionCookieName } from "@/lib/auth/authenticate";
import { CLIENT_HEADER, HTTPS_HEADER } from "@/lib/auth/peer";
import { createSharedRateLimiter } from "@/lib/auth/rate-limit";
import { readTextLimited, seeOther, withRoute } from "@/lib/server/route";
import { AppError } from "@/lib/errors";

const attempts = createSharedRateLimiter(10);

/** Token sign-in: exchanges AUTH_TOKEN for an HttpOnly, SameSite=Strict session cookie (Secure, __Host- over TLS). */
export const POST = withRoute(
  async ({ req, log }) => {
    const config = loadConfig();
    if (config.auth.mode !== "token" || !config.auth.token) {
      throw new AppError("not_found", "Token sign-in is not enabled.", { hint: "Set AUTH_MODE=token and AUTH_TOKEN." });
    }
    if (!sameOrigin(req.headers)) throw new AppError("forbidden", "Cross-origin sign-in refused.");
    // proxy.ts sets the client (the socket peer, or what a trusted proxy reports) only when it can vouch for it.
    const client = req.headers.get(CLIENT_HEADER);
    if (!client) {
      throw new AppError("unauthorized", "Sign-in refused: the server cannot vouch for the client's address.", {
        hint: "Start the console with `npm start` (or node --import ./scripts/peer-address.mjs server.js, as the image does).",
      });
    }
    await attempts.check(client, "sign-in");
    const form = new URLSearchParams(await readTextLimited(req, 8 * 1024));
    const token = form.get("token") ?? "";
    const name = (form.get("name") ?? "").trim().slice(0, 64) || "token user";
    const next = safeNextPath(form.get("next"));
    if (!(await secretsMatch(token, config.auth.token))) {
      log.warn({ event: "signin.failed", client }, "sign-in with a wrong token");
      return seeOther(`/signin?error=1&next=${encodeURIComponent(next)}`);
    }
    const exp = Math.floor(Date.now() / 1000) + config.auth.sessionHours * 3600;
    const value = await signSession(config.auth.token, { sub: name.replace(/[^\w .@-]/g, "_"), exp, sid: randomUUID() });
    log.info({ event: "signin", user: name }, "signed in");
    const https = req.headers.get(HTTPS_HEADER) === "1";
    const res = seeOther(next);
    res.cookies.set(sessionCookieName(https), value, {
      httpOnly: true,
      sameSite: "strict",
      secure: https,
      path: "/",
      maxAge: config.auth.sessionHours * 3600,
    });
    return res;
  },
  { public: true },
);
