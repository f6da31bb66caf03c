import pino from "pino";
import { loadConfig } from "@/lib/config";

let root: pino.Logger | undefined;

/** The process logger: structured JSON lines on stdout. */
export function getLogger(): pino.Logger {
  root ??= pino({
    level: loadConfig().logLevel,
    base: { service: "triage-console" },
    redact: { paths: ["*.authorization", "*.token", "*.apiKey", "req.headers.authorization", "req.headers.cookie"], censor: "[REDACTED]" },
  });
  return root;
}
