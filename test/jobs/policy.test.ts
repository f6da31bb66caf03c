import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { failurePolicy } from "@/lib/jobs/policy";

describe("the failure policy both job engines share", () => {
  it("fails at once on what another attempt cannot fix, and retries the rest", () => {
    for (const code of ["bad_request", "unprocessable", "not_found", "unauthorized", "forbidden", "not_configured"] as const) {
      expect(failurePolicy(new AppError(code, "x")).permanent).toBe(true);
    }
    for (const code of ["timeout", "unavailable", "internal", "conflict", "rate_limited"] as const) {
      expect(failurePolicy(new AppError(code, "x")).permanent).toBe(false);
    }
    expect(failurePolicy(new Error("socket hang up"))).toEqual({ permanent: false });
  });

  it("waits as long as a rate limit asked (Gemini's Retry-After), never a negative delay", () => {
    expect(failurePolicy(new AppError("rate_limited", "slow down", { retryAfterSeconds: 7 }))).toEqual({ permanent: false, retryInMs: 7000 });
    expect(failurePolicy(new AppError("rate_limited", "slow down", { retryAfterSeconds: -3 })).retryInMs).toBe(0);
    expect(failurePolicy(new AppError("unavailable", "down")).retryInMs).toBeUndefined();
  });
});
