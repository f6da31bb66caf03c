import { describe, expect, it } from "vitest";
import type { AlertListResult, AlertSource } from "@/lib/alerts/types";
import { createCachedSource } from "@/lib/alerts/cache";
import { AppError } from "@/lib/errors";

function countingSource() {
  const calls: string[][] = [];
  const pending: Array<(r: AlertListResult) => void> = [];
  const source: AlertSource = {
    name: "inner",
    listAlerts(opts = {}) {
      calls.push(opts.filter ?? []);
      if (opts.filter?.includes("bad")) return Promise.reject(new AppError("unprocessable", "bad"));
      return new Promise((resolve) => pending.push(resolve));
    },
  };
  const answer = (n: number) => pending.splice(0).forEach((r) => r({ alerts: [], errors: [{ source: "x", message: String(n) }] }));
  return { source, calls, answer };
}

describe("createCachedSource", () => {
  it("shares one in-flight request and reuses the answer within the TTL, per filter", async () => {
    let t = 1000;
    const inner = countingSource();
    const cached = createCachedSource(inner.source, { ttlMs: 5000, now: () => t });
    const a = cached.listAlerts();
    const b = cached.listAlerts();
    const f = cached.listAlerts({ filter: ['a="1"'] });
    expect(inner.calls).toEqual([[], ['a="1"']]);
    inner.answer(1);
    expect((await a).errors[0]?.message).toBe("1");
    expect(await b).toBe(await a);
    await f;

    t += 4999;
    await cached.listAlerts();
    expect(inner.calls).toHaveLength(2);

    t += 1;
    const c = cached.listAlerts();
    expect(inner.calls).toHaveLength(3);
    inner.answer(2);
    expect((await c).errors[0]?.message).toBe("2");
  });

  it("past the TTL returns the last answer at once while one background request replaces it, up to staleMs", async () => {
    let t = 0;
    const inner = countingSource();
    const cached = createCachedSource(inner.source, { ttlMs: 5000, staleMs: 60_000, now: () => t });
    const first = cached.listAlerts();
    inner.answer(1);
    expect((await first).errors[0]?.message).toBe("1");

    t = 10_000;
    // Stale: answered from the cache without waiting, and exactly one refresh starts for both callers.
    expect((await cached.listAlerts()).errors[0]?.message).toBe("1");
    expect((await cached.listAlerts()).errors[0]?.message).toBe("1");
    expect(inner.calls).toHaveLength(2);
    inner.answer(2);
    await new Promise((r) => setImmediate(r));
    // The refreshed answer is fresh from when its request started.
    t = 14_000;
    expect((await cached.listAlerts()).errors[0]?.message).toBe("2");
    expect(inner.calls).toHaveLength(2);

    // Older than staleMs: the caller waits for a new answer.
    t = 100_000;
    const late = cached.listAlerts();
    expect(inner.calls).toHaveLength(3);
    inner.answer(3);
    expect((await late).errors[0]?.message).toBe("3");
  });

  it("keeps serving the last answer when a background refresh is rejected, and retries on the next call", async () => {
    let t = 0;
    let fail = false;
    const calls: number[] = [];
    const source: AlertSource = {
      name: "inner",
      listAlerts: () => {
        calls.push(t);
        return fail ? Promise.reject(new Error("boom")) : Promise.resolve({ alerts: [], errors: [{ source: "x", message: `at ${t}` }] });
      },
    };
    const cached = createCachedSource(source, { ttlMs: 5000, staleMs: 60_000, now: () => t });
    expect((await cached.listAlerts()).errors[0]?.message).toBe("at 0");
    fail = true;
    t = 6000;
    expect((await cached.listAlerts()).errors[0]?.message).toBe("at 0");
    await new Promise((r) => setImmediate(r));
    fail = false;
    t = 7000;
    expect((await cached.listAlerts()).errors[0]?.message).toBe("at 0");
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([0, 6000, 7000]);
    expect((await cached.listAlerts()).errors[0]?.message).toBe("at 7000");
  });

  it("does not keep a rejected call", async () => {
    const inner = countingSource();
    const cached = createCachedSource(inner.source, { ttlMs: 5000, now: () => 0 });
    await expect(cached.listAlerts({ filter: ["bad"] })).rejects.toThrow("bad");
    await expect(cached.listAlerts({ filter: ["bad"] })).rejects.toThrow("bad");
    expect(inner.calls).toHaveLength(2);
  });

  it("forgets the oldest filter beyond maxEntries", async () => {
    const inner = countingSource();
    const cached = createCachedSource(inner.source, { ttlMs: 5000, maxEntries: 2, now: () => 0 });
    void cached.listAlerts({ filter: ["1"] });
    void cached.listAlerts({ filter: ["2"] });
    void cached.listAlerts({ filter: ["3"] });
    void cached.listAlerts({ filter: ["2"] });
    expect(inner.calls).toHaveLength(3);
    void cached.listAlerts({ filter: ["1"] });
    expect(inner.calls).toHaveLength(4);
    inner.answer(0);
  });
});
