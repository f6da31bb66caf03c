import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The use cases take their dependencies as arguments; lib/server/services composes them. A use case that
// imported the services (or anything in lib/server) would bring the import circle back.

const root = resolve(__dirname, "../..");
const USE_CASES = ["start-analysis", "run-analysis", "intake-webhook", "file-issue", "resolve-alert", "page-data", "dispatch-workflow", "prune", "create-analysis", "similar-incidents", "feedback"];

function resolveImport(from: string, spec: string): string | undefined {
  let base: string;
  if (spec.startsWith("@/")) base = join(root, spec.slice(2));
  else if (spec.startsWith(".")) base = resolve(dirname(from), spec);
  else return undefined;
  return [base, `${base}.ts`, `${base}.tsx`, join(base, "index.ts")].find((c) => existsSync(c) && statSync(c).isFile());
}

/** Every project file reachable from `start` through static and dynamic imports, with the path that reached it. */
function reachable(start: string): Map<string, string[]> {
  const seen = new Map<string, string[]>([[start, [start]]]);
  const queue = [start];
  const importRe = /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g;
  while (queue.length) {
    const file = queue.shift() as string;
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(importRe)) {
      const target = resolveImport(file, m[1] ?? m[2] ?? m[3] ?? "");
      if (!target || seen.has(target)) continue;
      seen.set(target, [...(seen.get(file) ?? []), target]);
      queue.push(target);
    }
  }
  return seen;
}

describe("lib/triage", () => {
  it("holds one file per use case", () => {
    const files = readdirSync(join(root, "lib/triage")).filter((f) => f.endsWith(".ts"));
    expect(files.sort()).toEqual(USE_CASES.map((u) => `${u}.ts`).sort());
  });

  it.each(USE_CASES)("%s reaches nothing in lib/server (no circle through the services)", (name) => {
    const seen = reachable(join(root, "lib/triage", `${name}.ts`));
    const server = [...seen.entries()].filter(([f]) => relative(root, f).startsWith("lib/server/"));
    expect(server.map(([, path]) => path.map((p) => relative(root, p)).join(" -> "))).toEqual([]);
    // The walk did follow imports (a broken resolver would pass vacuously).
    expect(seen.size).toBeGreaterThan(3);
  });

  it("the job kinds and the queue reach nothing in lib/server either", () => {
    for (const f of ["lib/jobs/kinds.ts", "lib/jobs/queue.ts", "lib/jobs/worker.ts"]) {
      const seen = [...reachable(join(root, f)).keys()].map((p) => relative(root, p));
      expect(seen.filter((p) => p.startsWith("lib/server/"))).toEqual([]);
    }
  });

  it("the resolver finds the circle it is looking for (the services do reach the use cases)", () => {
    const seen = [...reachable(join(root, "lib/server/services.ts")).keys()].map((p) => relative(root, p));
    expect(seen).toContain("lib/triage/start-analysis.ts");
    expect(seen).toContain("lib/triage/create-analysis.ts");
  });
});
