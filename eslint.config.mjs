import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import { builtinModules } from "node:module";

// Import boundaries, written as allow-lists (docs/architecture.md, "Boundaries"). Every rule below sees the
// import's text, so relative imports that climb out of a folder (`../x`) are forbidden in app/, components/,
// lib/ and cli/: anything outside the importing file's folder is named by its `@/` path, which these rules check.
const rx = (words) => words.map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")).join("|");

/**
 * The browser-safe modules: no node:*, no server-only, no SDK, no store, no configuration, and they import
 * only each other (checked below), so a client component can use them. Add a module here only when it is.
 */
export const browserSafe = [
  "lib/api-client", "lib/errors", "lib/utils",
  "lib/alerts/api", "lib/alerts/silence-api", "lib/alerts/types", "lib/alerts/group", "lib/alerts/matchers", "lib/alerts/links",
  "lib/analysis/api", "lib/analysis/types", "lib/analysis/report-markdown", "lib/analysis/pod-summary", "lib/analysis/similar",
  "lib/cluster/view", "lib/cluster/workload-view", "lib/cluster/revision-diff", "lib/cluster/neighbourhood-view",
  "lib/github/api", "lib/jobs/api",
  "lib/feedback/api", "lib/feedback/types", "lib/feedback/accuracy",
  "lib/markdown/safe",
  "lib/prometheus/reading", "lib/prometheus/schema", "lib/prometheus/format", "lib/prometheus/stats", "lib/prometheus/queries", "lib/prometheus/charts",
];
/** Pure schemas and helpers the browser-safe modules build on (held to the same rule), which components reach through them. */
export const browserSafeSupport = ["lib/store/models", "lib/cluster/bundle", "lib/analysis/redact", "lib/prometheus/promql"];
const serverPackages = [...builtinModules, "@kubernetes/client-node", "@google/genai", "@octokit/rest", "better-sqlite3", "kysely", "pino", "prom-client", "server-only", "next/server", "next/headers"];

const noClimbing = {
  regex: "(^|/)\\.\\.(/|$)",
  message: "Relative imports may not leave the file's folder: name it by its @/ path, so the import boundaries (eslint.config.mjs) can check it.",
};
const noNodeOrServer = {
  regex: `^(node:|(${rx(serverPackages)})(/|$))`,
  message: "Browser code may not import Node built-ins, SDKs, the store or server-only modules: the server does that behind app/api.",
};
const componentsAllow = {
  regex: `^@/(?!components/|(${rx(browserSafe)})$)`,
  message: `components/ may import only components/ and the browser-safe modules (${browserSafe.join(", ")}); pass data as props or fetch through app/api.`,
};
const browserSafeAllow = {
  regex: `^@/(?!(${rx([...browserSafe, ...browserSafeSupport])})$)`,
  message: "A browser-safe module may import only other browser-safe modules (the browserSafe list in eslint.config.mjs).",
  allowTypeImports: true,
};
const noServerFromLib = {
  regex: "^@/lib/server(/|$)",
  message: "Nothing in lib/ outside lib/server imports lib/server: pass what a module needs as a dependency (see lib/triage).",
};
const noDemo = {
  regex: "^@/lib/demo(/|$)",
  message: "The demo is chosen only where services are composed (lib/server/services.ts), and used by tests and benches.",
};
const noNext = { regex: "^next(/|$)", message: "Domain modules never import next/*, so the CLI and tests can use them." };
const noUpward = {
  regex: "^@/(app|components|cli)(/|$)",
  message: "lib/ never imports app/, components/ or cli/: they build on lib/, not the other way round.",
};
const noAppFromCli = {
  regex: "^@/(app|components|lib/server)(/|$)",
  message: "cli/ runs outside Next: it may not import app/, components/ or lib/server; call lib/ directly.",
};
const restrict = (...patterns) => ["error", { patterns }];
const importRule = "@typescript-eslint/no-restricted-imports";

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
  // Import boundaries: each file matches exactly one of these blocks (a later block would replace an earlier one's options).
  { files: ["app/**"], rules: { [importRule]: restrict(noClimbing, noDemo) } },
  { files: ["components/**"], rules: { [importRule]: restrict(noClimbing, noNodeOrServer, componentsAllow) } },
  {
    files: ["lib/**"],
    ignores: ["lib/server/**", "lib/demo/**", ...[...browserSafe, ...browserSafeSupport].map((m) => `${m}.ts`)],
    rules: { [importRule]: restrict(noClimbing, noNext, noUpward, noServerFromLib, noDemo) },
  },
  { files: [...browserSafe, ...browserSafeSupport].map((m) => `${m}.ts`), rules: { [importRule]: restrict(noClimbing, noNext, noNodeOrServer, browserSafeAllow) } },
  { files: ["lib/demo/**"], rules: { [importRule]: restrict(noClimbing, noNext, noUpward, noServerFromLib) } },
  { files: ["lib/server/**"], ignores: ["lib/server/services.ts"], rules: { [importRule]: restrict(noClimbing, noUpward, noDemo) } },
  { files: ["lib/server/services.ts"], rules: { [importRule]: restrict(noClimbing, noUpward) } },
  { files: ["cli/**"], rules: { [importRule]: restrict(noClimbing, noAppFromCli, noDemo) } },
);
