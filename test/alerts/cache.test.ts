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
