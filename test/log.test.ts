import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AppError } from "@/lib/errors";
import { createLogger } from "@/lib/log";

// The console's log lines as Google Cloud Logging reads them: one JSON object per line, `severity` from
// its LogSeverity set, `message`, an RFC 3339 `time`, and an error's stack inside the same line.

function capture(level = "trace") {
  const lines: string[] = [];
  let buf = "";
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      buf += chunk.toString();
      const parts = buf.split("\n");
      buf = parts.pop() ?? "";
      lines.push(...parts);
      done();
    },
  });
  return { log: createLogger(level, out), lines };
}

const lineSchema = z.object({
  severity: z.enum(["DEFAULT", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL", "ALERT", "EMERGENCY"]),
  level: z.number(),
  time: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
  message: z.string(),
  service: z.literal("triage-console"),
});

describe("log lines", () => {
  it("carry the Cloud Logging severity of each pino level, beside the numeric level", () => {
    const { log, lines } = capture();
    log.trace("t");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    log.fatal("f");
    const parsed = lines.map((l) => lineSchema.parse(JSON.parse(l)));
    expect(parsed.map((p) => [p.message, p.severity, p.level])).toEqual([
      ["t", "DEBUG", 10],
      ["d", "DEBUG", 20],
      ["i", "INFO", 30],
      ["w", "WARNING", 40],
      ["e", "ERROR", 50],
      ["f", "CRITICAL", 60],
    ]);
  });

  it("keep an error's type, message, stack and cause inside the one JSON line", () => {
    const { log, lines } = capture();
    const cause = new Error("SQLITE_FULL: database or disk is full");
    log.error({ err: new AppError("internal", "could not store the webhook", { cause }), requestId: "r1" }, "webhook failed");
    log.warn({ error: new TypeError("fetch failed") }, "alertmanager unreachable");
    expect(lines).toHaveLength(2);
    const first = z
      .object({
        err: z.object({ type: z.string(), message: z.string(), stack: z.string(), cause: z.object({ message: z.string(), stack: z.string() }) }),
        requestId: z.string(),
      })
      .loose()
      .parse(JSON.parse(lines[0] ?? ""));
    expect(first.err.type).toBe("AppError");
    expect(first.err.message).toContain("could not store the webhook");
    expect(first.err.stack).toMatch(/AppError: could not store the webhook\n\s+at /);
    expect(first.err.cause.stack).toMatch(/^Error: SQLITE_FULL: database or disk is full\n\s+at /);
    const second = z.object({ error: z.object({ type: z.string(), stack: z.string() }) }).loose().parse(JSON.parse(lines[1] ?? ""));
    expect(second.error).toMatchObject({ type: "TypeError" });
    expect(second.error.stack).toContain("fetch failed");
  });

  it("still redact credentials", () => {
    const { log, lines } = capture();
    log.info({ req: { headers: { authorization: "Bearer s3cret", cookie: "triage_session=abc" } } }, "request");
    expect(lines[0]).not.toContain("s3cret");
    expect(lines[0]).not.toContain("triage_session=abc");
  });
});
