import { loadConfig } from "@/lib/config";
import { SECURE_SESSION_COOKIE, SESSION_COOKIE, sameOrigin } from "@/lib/auth/authenticate";
import { verifySession } from "@/lib/auth/crypto";
import { getServices } from "@/lib/server/services";
import { seeOther, withRoute } from "@/lib/server/route";
import { AppError } from "@/lib/errors";

/** Revokes the session server-side (a copy of the cookie stops working too) and clears the cookie. */
export const POST = withRoute(
  async ({ req, log }) => {
    if (!sameOrigin(req.headers)) throw new AppError("forbidden", "Cross-origin sign-out refused.");
    const { token } = loadConfig().auth;
    const now = Math.floor(Date.now() / 1000);
    for (const name of [SESSION_COOKIE, SECURE_SESSION_COOKIE]) {
      const claims = token ? await verifySession(token, req.cookies.get(name)?.value, now) : undefined;
      if (!claims) continue;
      await (await getServices()).store.revokeSession(claims.sid, new Date(claims.exp * 1000));
      log.info({ event: "signout", user: claims.sub }, "signed out");
    }
    const res = seeOther("/signin");
    res.cookies.set(SESSION_COOKIE, "", { httpOnly: true, sameSite: "strict", path: "/", maxAge: 0 });
    res.cookies.set(SECURE_SESSION_COOKIE, "", { httpOnly: true, sameSite: "strict", secure: true, path: "/", maxAge: 0 });
    return res;
  },
  { public: true },
);
