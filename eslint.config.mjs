import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";

const serverOnly = [
  { name: "@kubernetes/client-node", message: "components/ must not import server clients; fetch through app/api." },
  { name: "@google/genai", message: "components/ must not import SDKs; the server calls Gemini." },
  { name: "@octokit/rest", message: "components/ must not import SDKs; the server calls GitHub." },
  { name: "better-sqlite3", message: "components/ must not import the store." },
  { name: "kysely", message: "components/ must not import the store." },
  { name: "pino", message: "components/ must not import server logging." },
];
const serverOnlyPatterns = [
  { group: ["@/lib/store/*", "@/lib/store", "@/lib/jobs/*", "@/lib/cluster/reader*", "@/lib/cluster/kube*", "@/lib/alerts/client*", "@/lib/analysis/gemini*", "@/lib/analysis/pipeline*", "@/lib/github/filer*", "@/lib/config", "@/lib/server/*", "@/lib/log*", "@/lib/metrics*"], message: "components/ must not import server clients, the store or configuration; pass data as props or fetch through app/api." },
];

export default tseslint.config(
  { ignores: [".next/**", "node_modules/**", "next-env.d.ts", "test-results/**", "playwright-report/**", "cli/bin.mjs", ".tmp/**"] },
  ...tseslint.configs.recommended,
  {
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/ban-ts-comment": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "no-restricted-syntax": [
        "error",
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: "Read configuration through lib/config.ts." },
      ],
    },
  },
  {
    files: ["lib/config.ts", "instrumentation.ts", "scripts/**", "e2e/**", "test/**", "bench/**", "playwright.config.ts", "vitest.config.mts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    files: ["components/**"],
    rules: { "no-restricted-imports": ["error", { paths: serverOnly, patterns: serverOnlyPatterns }] },
  },
  {
    files: ["lib/**"],
    ignores: ["lib/server/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["next", "next/*"], message: "Domain modules never import next/*, so the CLI and tests can use them." }] }],
    },
  },
);
