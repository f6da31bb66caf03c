import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { POST as createSilence } from "@/app/api/silences/route";
import { startTestConsole, type TestConsole } from "@/test/helpers/console";

// Its own file: the route wrapper builds each limiter once per process from the configuration.
const LIMIT = 3;
const errorSchema = z.object({ error: z.object({ code: z.string() }) });

let tc: TestConsole;
beforeAll(async () => {
  tc = await startTestConsole({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
});
afterAll(async () => {
  await tc?.stop();
});

describe("per-user rate limit on silences", () => {
  it("answers 429 after RATE_LIMIT_PER_MINUTE silence requests, before reading the body, per user", async () => {
    // A zero duration is refused by validation (422): the limit counts requests, not silences made.
    const post = (user: string) =>
      tc.callJson(createSilence, { url: "/api/silences", user, body: { matchers: [{ name: "pod", op: "=", value: "x" }], durationMinutes: 0, comment: "x" } });
    for (let i = 0; i < LIMIT; i++) expect((await post("alice")).status).toBe(422);
    const limited = await post("alice");
    expect(limited.status).toBe(429);
    expect(errorSchema.parse(limited.body).error.code).toBe("rate_limited");
    expect((await post("bob")).status).toBe(422);
  });
});
