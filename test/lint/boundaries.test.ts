import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: eslint.config.mjs is plain JavaScript without declarations.
import { browserSafe, browserSafeSupport } from "@/eslint.config.mjs";

// The import boundaries of eslint.config.mjs, checked the way `npm run lint` checks them: the project's own
// configuration, on a one-line file placed (by name only, nothing is written) in each folder.
const root = fileURLToPath(new URL("../..", import.meta.url));
const RULE = "@typescript-eslint/no-restricted-imports";
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

async function boundaryErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${source}\nexport const probe = x;\n`, { filePath: `${root}/${file}` });
  if (!result) throw new Error(`ESLint returned no result for ${file}`);
  const fatal = result.messages.filter((m) => m.fatal);
  expect(fatal, `${file} did not parse`).toEqual([]);
  return result.messages.filter((m) => m.ruleId === RULE).map((m) => m.message);
}

/** [folder's file, import, whether lint must refuse it] */
type Case = [file: string, from: string, forbidden: boolean];

const cases: Case[] = [
  // components/: only components/ and the browser-safe modules.
  ["components/analysis/probe.tsx", "@/lib/analysis/api", false],
  ["components/analysis/probe.tsx", "@/lib/prometheus/reading", false],
  ["components/analysis/probe.tsx", "@/lib/cluster/revision-diff", false],
  ["components/analysis/probe.tsx", "@/components/ui/button", false],
  ["components/analysis/probe.tsx", "./report-view", false],
  ["components/analysis/probe.tsx", "react", false],
  ["components/analysis/probe.tsx", "@/lib/store", true],
  ["components/analysis/probe.tsx", "@/lib/store/models", true],
  ["components/analysis/probe.tsx", "@/lib/config", true],
  ["components/analysis/probe.tsx", "@/lib/server/services", true],
  ["components/analysis/probe.tsx", "@/lib/cluster/kube", true],
  ["components/analysis/probe.tsx", "@/lib/alerts/snapshot", true],
  ["components/analysis/probe.tsx", "@/lib/alerts", true],
  ["components/analysis/probe.tsx", "@/lib/demo/alerts", true],
  ["components/analysis/probe.tsx", "@/app/page", true],
  ["components/analysis/probe.tsx", "node:crypto", true],
  ["components/analysis/probe.tsx", "crypto", true],
  ["components/analysis/probe.tsx", "@kubernetes/client-node", true],
  ["components/analysis/probe.tsx", "server-only", true],
  ["components/analysis/probe.tsx", "../../lib/store", true],
  ["components/analysis/probe.tsx", "../alerts/severity", true],
  // A browser-safe module imports only browser-safe modules (types excepted).
  ["lib/analysis/api.ts", "@/lib/store/models", false],
  ["lib/analysis/api.ts", "@/lib/alerts/snapshot", true],
  ["lib/analysis/api.ts", "@/lib/config", true],
  ["lib/analysis/api.ts", "node:fs", true],
  // Nothing in lib/ outside lib/server imports lib/server, however it is spelled; the demo only in services.
  ["lib/analysis/probe.ts", "@/lib/cluster/view", false],
  ["lib/analysis/probe.ts", "./reduce", false],
  ["lib/analysis/probe.ts", "@/lib/server/services", true],
  ["lib/analysis/probe.ts", "../server/services", true],
  ["lib/analysis/probe.ts", "@/lib/demo/cluster", true],
  ["lib/analysis/probe.ts", "@/components/ui/button", true],
  ["lib/analysis/probe.ts", "next/server", true],
  ["lib/triage/probe.ts", "@/lib/store", false],
  ["lib/triage/probe.ts", "@/lib/server/progress-bus", true],
  ["lib/triage/probe.ts", "../server/progress-bus", true],
  ["lib/triage/probe.ts", "@/lib/demo/vitals", true],
  ["lib/alerts/probe.ts", "@/lib/demo/alerts", true],
  ["lib/demo/probe.ts", "@/lib/server/services", true],
  ["lib/demo/probe.ts", "@/lib/alerts/types", false],
  ["lib/server/services.ts", "@/lib/demo/alerts", false],
  ["lib/server/route.ts", "@/lib/demo/alerts", true],
  ["lib/server/route.ts", "../store", true],
  // cli/ does not import app/ or lib/server.
  ["cli/probe.ts", "@/lib/analysis/pipeline", false],
  ["cli/probe.ts", "./spec", false],
  ["cli/probe.ts", "@/app/api/alerts/route", true],
  ["cli/probe.ts", "../app/page", true],
  ["cli/probe.ts", "@/lib/server/services", true],
  ["cli/probe.ts", "@/lib/demo/alerts", true],
  // app/ composes nothing itself: the demo comes through the services.
  ["app/alerts/probe.tsx", "@/lib/server/services", false],
  ["app/alerts/probe.tsx", "@/lib/demo/alerts", true],
  ["app/alerts/probe.tsx", "../../lib/config", true],
];

describe("import boundaries (eslint.config.mjs)", () => {
  it.each(cases)("%s importing %s: forbidden=%s", async (file, from, forbidden) => {
    const errors = await boundaryErrors(file, `import { x } from ${JSON.stringify(from)};`);
    if (forbidden) expect(errors, `lint should refuse ${from} in ${file}`).toHaveLength(1);
    else expect(errors, `lint should allow ${from} in ${file}`).toEqual([]);
  });

  it("lets a browser-safe module import a server module's types, which the bundle erases", async () => {
    expect(await boundaryErrors("lib/cluster/revision-diff.ts", 'import type { x } from "@/lib/cluster/gather";')).toEqual([]);
    expect(await boundaryErrors("lib/cluster/revision-diff.ts", 'import { x } from "@/lib/cluster/gather";')).toHaveLength(1);
  });

  it("names the allowed modules in the message, so the fix is in the error", async () => {
    const [message] = await boundaryErrors("components/alerts/probe.tsx", 'import { x } from "@/lib/store";');
    expect(message).toContain("lib/analysis/api");
    expect(message).toContain("app/api");
  });

  it("lists only modules that exist", () => {
    for (const m of [...browserSafe, ...browserSafeSupport] as string[]) expect(existsSync(`${root}/${m}.ts`), `${m}.ts`).toBe(true);
  });
});
