import type { Config } from "@/lib/config";
import { isLoopbackHost } from "@/lib/config";
import { secretsMatch } from "@/lib/auth/crypto";

/**
 * Check the credentials Alertmanager's http_config sends: `Authorization: Bearer <WEBHOOK_BEARER_TOKEN>`
 * or Basic `<WEBHOOK_BASIC_AUTH>`, compared in constant time. With no secret configured only the loopback
 * demo is accepted.
 */
export async function webhookAuthorized(authorization: string | null, peer: string | null, config: Pick<Config, "webhook" | "demo" | "host">): Promise<boolean> {
  const { bearerToken, basicAuth } = config.webhook;
  if (!bearerToken && !basicAuth) {
    // No verified peer (a server started without the preload) is not local.
    const peerIsLocal = peer !== null && isLoopbackHost(peer);
    return config.demo && isLoopbackHost(config.host) && peerIsLocal;
  }
  const m = /^(Bearer|Basic)\s+(\S+)$/i.exec(authorization ?? "");
  if (!m) return false;
  const scheme = (m[1] ?? "").toLowerCase();
  const value = m[2] ?? "";
  if (scheme === "bearer" && bearerToken) return secretsMatch(value, bearerToken);
  if (scheme === "basic" && basicAuth) {
    let decoded: string;
    try {
      decoded = Buffer.from(value, "base64").toString("utf8");
    } catch {
      return false;
    }
    return secretsMatch(decoded, basicAuth);
  }
  return false;
}
