// Preloaded into the server process (node --import; `npm start` and the image do it): stamps every request
// with the address of the TCP peer and whether the socket is TLS, overwriting anything a client sent, plus
// a proof: an HMAC of both under a secret made at process start and held only in this process's memory and
// environment (TRIAGE_PEER_SECRET, read by lib/config.ts). proxy.ts trusts the peer only with a valid
// proof, so a server started without this preload refuses every console request instead of believing
// whatever a client claims. (Next keeps a client-sent X-Forwarded-For, so that header cannot be trusted.)
// It also records the address the console's listening socket is bound to (TRIAGE_LISTEN_ADDRESS), which
// the server checks at start: AUTH_MODE=none may only listen on loopback, whatever HOST says.
import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";

const secret = randomBytes(32).toString("base64url");
// A fresh secret per process: a parent's value (npm start, next dev) is replaced, never inherited.
process.env.TRIAGE_PEER_SECRET = secret;
delete process.env.TRIAGE_LISTEN_ADDRESS;

// Internal headers: the preload sets the first three, proxy.ts the others; no client may send any of them.
const INTERNAL = ["x-triage-peer", "x-triage-peer-proto", "x-triage-peer-proof", "x-triage-user", "x-triage-client", "x-triage-https"];

function stamp(req) {
  for (const h of INTERNAL) delete req.headers[h];
  const peer = req.socket?.remoteAddress;
  if (!peer) return;
  const proto = req.socket.encrypted ? "https" : "http";
  req.headers["x-triage-peer"] = peer;
  req.headers["x-triage-peer-proto"] = proto;
  // Keep in step with lib/auth/peer.ts (proofMessage).
  req.headers["x-triage-peer-proof"] = createHmac("sha256", secret).update(`triage-peer\n${peer}\n${proto}`).digest("base64url");
}

for (const Server of [http.Server, https.Server]) {
  const emit = Server.prototype.emit;
  Server.prototype.emit = function (event, req, ...rest) {
    if ((event === "request" || event === "upgrade") && req && req.headers) stamp(req);
    // The first server to listen is Next's (the webhook listener starts after it, from instrumentation).
    if (event === "listening" && process.env.TRIAGE_LISTEN_ADDRESS === undefined) {
      const addr = this.address();
      if (addr && typeof addr === "object") process.env.TRIAGE_LISTEN_ADDRESS = addr.address;
    }
    return emit.call(this, event, req, ...rest);
  };
}
