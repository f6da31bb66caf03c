import { loadConfig } from "@/lib/config";
import { getMetrics } from "@/lib/metrics";
import { secretsMatch } from "@/lib/auth/crypto";
import { authenticate } from "@/lib/auth/authenticate";
import { forwardedConnection } from "@/lib/auth/peer";
import { isSessionRevoked } from "@/lib/auth/sessions";
import { withRoute } from "@/lib/server/route";
import { AppError } from "@/lib/errors";

export const dynamic = "force-dynamic";

/** Prometheus metrics; needs METRICS_BEARER_TOKEN when set, otherwise a console session. */
export const GET = withRoute(
  async ({ req }) => {
    const { auth } = loadConfig();
    if (auth.metricsBearerToken) {
      const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
      if (!(await secretsMatch(bearer, auth.metricsBearerToken))) {
        throw new AppError("unauthorized", "Metrics need the bearer token.", { hint: "Send Authorization: Bearer <METRICS_BEARER_TOKEN>." });
      }
    } else {
      const r = await authenticate(
        { headers: req.headers, cookie: (n) => req.cookies.get(n)?.value, connection: forwardedConnection(req.headers), isRevoked: isSessionRevoked },
        auth,
      );
      if (!r.ok) throw new AppError("unauthorized", "Sign-in required.", { hint: `${r.reason}; or set METRICS_BEARER_TOKEN for Prometheus.` });
    }
    const { registry } = getMetrics();
    return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });
  },
  { public: true },
);
