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
  { group: ["@/lib/store/*", "@/lib/store", "@/lib/jobs/*", "!@/lib/jobs/api", "@/lib/cluster/reader*", "@/lib/cluster/kube*", "@/lib/alerts/client*", "@/lib/analysis/gemini*", "@/lib/analysis/pipeline*", "@/lib/github/filer*", "@/lib/config", "@/lib/server/*", "@/lib/log*", "@/lib/metrics*"], message: "components/ must not import server clients, the store or configuration; pass data as props or fetch through app/api." },
];

// Next's production build holds several copies of a module, so `instanceof` these classes fails for an
// instance made by another copy: recognise them by their brand (lib/errors.ts setBrand) instead.
const noBrandedInstanceof = [
  {
    selector: "BinaryExpression[operator='instanceof'][right.name=/^(AppError|ConfigError|ClusterApiError)$/]",
    message: "instanceof fails across Next's bundles: use isAppError / isConfigError / isClusterApiError.",
  },
  {
    selector: "BinaryExpression[operator='instanceof'][right.property.name=/^(AppError|ConfigError|ClusterApiError)$/]",
    message: "instanceof fails across Next's bundles: use isAppError / isConfigError / isClusterApiError.",
  },
];

export default tseslint.config(
  { ignores: [".next/**", "node_modules/**", "next-env.d.ts", "test-results/**", "playwright-report/**", "cli/bin.mjs", ".tmp/**", "dist/**"] },
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
        ...noBrandedInstanceof,
      ],
    },
  },
  {
    files: ["lib/config.ts", "instrumentation.ts", "scripts/**", "e2e/**", "test/**", "bench/**", "playwright.config.ts", "vitest.config.mts"],
    rules: { "no-restricted-syntax": "off" },
  },
  {
    // These read process.env, and run inside the production build.
    files: ["lib/config.ts", "instrumentation.ts"],
    rules: { "no-restricted-syntax": ["error", ...noBrandedInstanceof] },
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
