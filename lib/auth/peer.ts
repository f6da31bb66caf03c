import type { Config } from "@/lib/config";

/**
 * Who is on the other end of the TCP connection, as scripts/peer-address.mjs stamped it, and who the client
 * is once a trusted proxy's forwarding headers are taken into account. The preload signs what it stamps
 * with a per-process secret (TRIAGE_PEER_SECRET); without a valid signature nothing here is believed, so
 * a server started without the preload fails closed. Web Crypto only: runs in the proxy runtime too.
 */

/** Set by the preload from the socket; inbound copies are removed there. */
export const PEER_HEADER = "x-triage-peer";
export const PEER_PROTO_HEADER = "x-triage-peer-proto";
export const PEER_PROOF_HEADER = "x-triage-peer-proof";
/** Set by proxy.ts for route handlers: the client address (for rate limits) and whether it used TLS. */
export const CLIENT_HEADER = "x-triage-client";
export const HTTPS_HEADER = "x-triage-https";

export interface Connection {
  /** The TCP peer, verified. */
  peer: string;
  /** The client: the peer, or the last X-Forwarded-For hop when the peer is a trusted proxy. */
  client: string;
  /** The client reached us over TLS: a TLS socket, or a trusted proxy's X-Forwarded-Proto: https. */
  https: boolean;
}

const enc = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let k = keys.get(secret);
  if (!k) {
    k = crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.clear();
    keys.set(secret, k);
  }
  return k;
}

/** What the preload signs; keep in step with scripts/peer-address.mjs. */
function proofMessage(peer: string, proto: string): string {
  return `triage-peer\n${peer}\n${proto}`;
}

function fromB64url(s: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(s)) return undefined;
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** The proof header value the preload would send; for tests that stand in for the socket. */
export async function signPeer(secret: string, peer: string, proto: "http" | "https"): Promise<string> {
  const sig = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), enc.encode(proofMessage(peer, proto))));
  let s = "";
  for (const b of sig) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The socket peer when its proof verifies under this process's secret; undefined otherwise. */
export async function verifiedPeer(headers: Headers, secret: string | undefined): Promise<{ peer: string; tls: boolean } | undefined> {
  if (!secret) return undefined;
  const peer = headers.get(PEER_HEADER);
  const proto = headers.get(PEER_PROTO_HEADER);
  const proof = fromB64url(headers.get(PEER_PROOF_HEADER) ?? "");
  if (!peer || peer.length > 64 || (proto !== "http" && proto !== "https") || !proof) return undefined;
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), proof, enc.encode(proofMessage(peer, proto)));
  return ok ? { peer, tls: proto === "https" } : undefined;
}

/** True when addr is in the list (exact addresses or IPv4 CIDR blocks; ::ffff: prefixes ignored). */
export function addressAllowed(addr: string | undefined, allowed: string[]): boolean {
  if (!addr) return false;
  const a = addr.replace(/^::ffff:/, "");
  for (const entry of allowed) {
    const e = entry.replace(/^::ffff:/, "");
    if (e === a) return true;
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(e);
    if (m && /^\d+\.\d+\.\d+\.\d+$/.test(a)) {
      const bits = Number(m[2]);
      const toInt = (ip: string) => ip.split(".").reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
      const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
      if (((toInt(a) & mask) >>> 0) === ((toInt(m[1] ?? "") & mask) >>> 0)) return true;
    }
  }
  return false;
}

/** The last entry of a comma-separated forwarding header: the one the nearest proxy added. */
function lastHop(v: string | null): string | undefined {
  const last = v?.slice(-256).split(",").at(-1)?.trim();
  return last && last.length <= 64 && /^[\w.:[\]-]+$/.test(last) ? last : undefined;
}

/**
 * The verified connection of a request, or undefined when the peer is not known to come from the socket
 * (no preload, a forged or foreign proof). Forwarding headers count only from AUTH_TRUSTED_PROXIES.
 */
export async function readConnection(headers: Headers, auth: Pick<Config["auth"], "peerSecret" | "trustedProxies">): Promise<Connection | undefined> {
  const v = await verifiedPeer(headers, auth.peerSecret);
  if (!v) return undefined;
  if (!addressAllowed(v.peer, auth.trustedProxies)) return { peer: v.peer, client: v.peer, https: v.tls };
  const client = lastHop(headers.get("x-forwarded-for")) ?? v.peer;
  return { peer: v.peer, client, https: v.tls || lastHop(headers.get("x-forwarded-proto"))?.toLowerCase() === "https" };
}

/**
 * The connection as proxy.ts verified it and handed it on to route handlers (it strips inbound copies of
 * these headers and sets them only after verifying the preload's proof); undefined when it could not.
 */
export function forwardedConnection(headers: Headers): Connection | undefined {
  const peer = headers.get(PEER_HEADER);
  const client = headers.get(CLIENT_HEADER);
  const https = headers.get(HTTPS_HEADER);
  if (!peer || !client || (https !== "0" && https !== "1")) return undefined;
  return { peer, client, https: https === "1" };
}
