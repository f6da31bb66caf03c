// Preloaded into the server process (node --import): stamps every request with the address of the TCP
// peer, overwriting anything a client sent, so AUTH_MODE=proxy can trust identity headers only from
// AUTH_TRUSTED_PROXIES. (Next keeps a client-sent X-Forwarded-For, so that header cannot be trusted.)
import http from "node:http";

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, ...rest) {
  if (event === "request" && req && req.headers) {
    req.headers["x-triage-peer"] = req.socket?.remoteAddress ?? "";
    delete req.headers["x-triage-user"];
  }
  return emit.call(this, event, req, ...rest);
};
