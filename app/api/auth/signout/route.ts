import { SESSION_COOKIE, sameOrigin } from "@/lib/auth/authenticate";
import { seeOther, withRoute } from "@/lib/server/route";
import { AppError } from "@/lib/errors";

/** Clears the session cookie. */
export const POST = withRoute(
  async ({ req }) => {
    if (!sameOrigin(req.headers)) throw new AppError("forbidden", "Cross-origin sign-out refused.");
    const res = seeOther("/signin");
    res.cookies.set(SESSION_COOKIE, "", { httpOnly: true, sameSite: "strict", path: "/", maxAge: 0 });
    return res;
  },
  { public: true },
);
