/**
 * Throws generated pathological regexes (nested quantifiers, alternations of overlapping branches, nested
 * groups) at the alert matcher over 30-60 character label values, in its own process so that a backtracking
 * engine makes the parent's deadline fail instead of hanging the test runner. Prints one JSON line:
 * `{"runs":N,"totalMs":T,"maxMs":M,"slowest":"..."}`; exits 1 with fast-check's report when the property fails.
 * Usage: node --import tsx test/alerts/redos-child.ts <numRuns> <perMatchMs>
 */
import fc from "fast-check";
import { formatMatcher, matchAlert, parseMatchers, type MatchOp } from "@/lib/alerts/matchers";

const numRuns = Number(process.argv[2] ?? "200");
const perMatchMs = Number(process.argv[3] ?? "1000");

/** The patterns, each with a value that makes a backtracking engine try every split. */
const KNOWN_BAD: Array<[string, string]> = [
  ["(.|.)*x", `${"a".repeat(45)}-`],
  ["(a|a)*$", `${"a".repeat(40)}!`],
  ["((a+))+", `${"a".repeat(38)}-`],
  ["(\\w|\\d)+!", `${"1".repeat(50)}-`],
  ["(a|a?)+", `${"a".repeat(33)}-`],
  ["(a+)+$", `${"a".repeat(60)}!`],
];

const atom = fc.constantFrom("a", ".", "\\w", "\\d", "[a-z0-9]", "a?", "[^-]", "1", "(?i:A)");
const quantifier = fc.constantFrom("+", "*", "?", "{2,}", "+?", "*?");
const { node } = fc.letrec<{ node: string; group: string; repeat: string; alt: string; overlap: string; cat: string }>((tie) => ({
  node: fc.oneof({ depthSize: "small", withCrossShrink: true }, atom, tie("group"), tie("repeat"), tie("alt"), tie("overlap"), tie("cat")),
  group: tie("node").map((p) => `(${p})`),
  repeat: fc.tuple(tie("node"), quantifier).map(([p, q]) => `(${p})${q}`),
  alt: fc.tuple(tie("node"), tie("node")).map(([p, q]) => `(${p}|${q})`),
  // Branches that match the same text: every split of the value is a path for a backtracker.
  overlap: fc.tuple(tie("node"), fc.constantFrom("", "?", "+")).map(([p, q]) => `(${p}|(${p})${q})`),
  cat: fc.tuple(tie("node"), tie("node")).map(([p, q]) => p + q),
}));
// A quantifier around the whole thing so nested quantifiers are the rule, then a suffix the value lacks.
const pattern = fc
  .tuple(node, quantifier, fc.constantFrom("", "$", "!", "x", "-"))
  .map(([p, q, end]) => `(${p})${q}${end}`)
  .filter((p) => p.length <= 160);
const value = fc
  .tuple(fc.string({ unit: fc.constantFrom("a", "a", "a", "1", "_", "x"), minLength: 29, maxLength: 59 }), fc.constantFrom("!", "-", "\n", "a", "x"))
  .map(([body, end]) => body + end);
const op = fc.constantFrom<MatchOp>("=~", "!~");

let runs = 0;
let totalMs = 0;
let maxMs = 0;
let slowest = "";
try {
  fc.assert(
    fc.property(pattern, value, op, (re, v, o) => {
      const matchers = parseMatchers(formatMatcher({ name: "pod", op: o, value: re }));
      const t = performance.now();
      const hit = matchAlert({ labels: { pod: v } }, matchers);
      const ms = performance.now() - t;
      runs++;
      totalMs += ms;
      if (ms > maxMs) [maxMs, slowest] = [ms, `pod${o}"${re}" against ${JSON.stringify(v)}`];
      return typeof hit === "boolean" && ms < perMatchMs;
    }),
    { numRuns, examples: KNOWN_BAD.flatMap(([re, v]) => [[re, v, "=~"] as [string, string, MatchOp], [re, v, "!~"] as [string, string, MatchOp]]) },
  );
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
console.log(JSON.stringify({ runs, totalMs: Math.round(totalMs), maxMs: Math.round(maxMs), slowest }));
