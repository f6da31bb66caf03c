import pino from "pino";
import { loadConfig } from "@/lib/config";

/** Google Cloud Logging's LogSeverity for each pino level; what the console writes in `severity`. */
export const SEVERITY: Record<string, string> = {
  trace: "DEBUG",
  debug: "DEBUG",
  info: "INFO",
  warn: "WARNING",
  error: "ERROR",
  fatal: "CRITICAL",
};

/**
 * pino's options for the console's JSON lines, readable by Cloud Logging as they are: `severity`
 * (beside pino's numeric `level`, which pino tooling reads), `message`, an RFC 3339 `time`, and an error
 * under `err` or `error` serialized with its type, message, stack and causes inside the one line.
 */
export function loggerOptions(level: string): pino.LoggerOptions {
  return {
    level,
    base: { service: "triage-console" },
    messageKey: "message",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label, number) => ({ severity: SEVERITY[label] ?? "DEFAULT", level: number }),
    },
    serializers: { err: pino.stdSerializers.errWithCause, error: pino.stdSerializers.errWithCause },
    redact: { paths: ["*.authorization", "*.token", "*.apiKey", "req.headers.authorization", "req.headers.cookie"], censor: "[REDACTED]" },
  };
}

/** A logger writing the console's JSON lines to `destination` (stdout by default). */
export function createLogger(level: string, destination?: pino.DestinationStream): pino.Logger {
  return destination ? pino(loggerOptions(level), destination) : pino(loggerOptions(level));
}

let root: pino.Logger | undefined;

/** The process logger: structured JSON lines on stdout. */
export function getLogger(): pino.Logger {
  root ??= createLogger(loadConfig().logLevel);
  return root;
}
