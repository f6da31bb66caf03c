import { describe, expect, it, vi } from "vitest";

/**
 * Next's production build holds several copies of a module; an error made by one copy must be recognised
 * by another. Two copies are made here by loading the modules twice (vi.resetModules), as the build does
 * per bundle; test/fuzz/built-server.test.ts checks the real build.
 */
async function twoCopies() {
  vi.resetModules();
  const a = { errors: await import("@/lib/errors"), config: await import("@/lib/config"), pods: await import("@/lib/cluster/pod-reader") };
  vi.resetModules();
  const b = { errors: await import("@/lib/errors"), config: await import("@/lib/config"), pods: await import("@/lib/cluster/pod-reader") };
  return { a, b };
}

describe("error brands across copies of a module", () => {
  it("the copies are distinct classes, as in the production build", async () => {
    const { a, b } = await twoCopies();
    expect(a.errors.AppError).not.toBe(b.errors.AppError);
    expect(new b.errors.AppError("not_found", "x") instanceof a.errors.AppError).toBe(false);
  });

  it("isAppError recognises an AppError from another copy, with its status, hint and JSON", async () => {
    const { a, b } = await twoCopies();
    const e: unknown = new b.errors.AppError("unprocessable", "Invalid since.", { hint: "Use ISO 8601." });
    expect(a.errors.isAppError(e)).toBe(true);
    if (!a.errors.isAppError(e)) return;
    expect(e.status).toBe(422);
    expect(e.toJSON()).toEqual({ code: "unprocessable", message: "Invalid since.", hint: "Use ISO 8601." });
    expect(a.errors.describeError(e)).toBe("Invalid since. (Use ISO 8601.)");
  });

  it("isAppError refuses look-alikes: a plain Error with a code, an object shaped like one, a brand with an unknown code", async () => {
    const { a } = await twoCopies();
    expect(a.errors.isAppError(Object.assign(new Error("x"), { code: "not_found" }))).toBe(false);
    expect(a.errors.isAppError({ code: "not_found", message: "x", status: 404 })).toBe(false);
    const forged = new a.errors.AppError("not_found", "x");
    Object.defineProperty(forged, "code", { value: "teapot" });
    expect(a.errors.isAppError(forged)).toBe(false);
    expect(a.errors.isAppError(null)).toBe(false);
    expect(a.errors.isAppError("not_found")).toBe(false);
  });

  it("the brand does not show in JSON or enumerable keys (logs stay as they were)", async () => {
    const { a } = await twoCopies();
    const e = new a.errors.AppError("conflict", "busy");
    expect(Object.getOwnPropertySymbols(e).every((s) => !Object.getOwnPropertyDescriptor(e, s)?.enumerable)).toBe(true);
    expect(JSON.stringify({ error: e.toJSON() })).toBe('{"error":{"code":"conflict","message":"busy"}}');
  });

  it("isConfigError and isClusterApiError recognise errors from another copy", async () => {
    const { a, b } = await twoCopies();
    let thrown: unknown;
    try {
      b.config.parseConfig({ PORT: "not-a-port" });
    } catch (e) {
      thrown = e;
    }
    expect(a.config.isConfigError(thrown)).toBe(true);
    expect(a.config.isConfigError(new Error("Invalid configuration"))).toBe(false);
    expect(a.pods.isClusterApiError(new b.pods.ClusterApiError(404, 'pods "x" not found', "NotFound"))).toBe(true);
    expect(a.pods.isClusterApiError(new Error("pods not found"))).toBe(false);
  });
});
