// Prints one plain line, "N passed, N failed", over every vitest and Playwright test that ran.
// Steps that failed without producing results (lint, typecheck, build) count as one failure each.
import { existsSync, readFileSync } from "node:fs";

let passed = 0;
let failed = 0;
let skipped = 0;
for (const arg of process.argv.slice(2)) {
  if (arg.startsWith("step:")) continue;
  if (!existsSync(arg)) continue;
  const r = JSON.parse(readFileSync(arg, "utf8"));
  if ("numPassedTests" in r) {
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  } else if (r.stats) {
    passed += r.stats.expected + (r.stats.flaky ?? 0);
    failed += r.stats.unexpected;
    skipped += r.stats.skipped;
  }
}
const failedSteps = process.argv.slice(2).filter((a) => a.startsWith("step:")).map((a) => a.slice(5));
for (const s of failedSteps) if (!["unit+integration", "e2e"].includes(s)) failed += 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
