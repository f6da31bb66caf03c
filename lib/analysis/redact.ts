import type { EvidenceBundle } from "@/lib/cluster/bundle";
import { METRICS_LIMITS, type BundleMetrics } from "@/lib/prometheus/schema";

/**
 * Secret redaction: runs before logs, events, pod specs or alert text leave the process.
 *
 * Design rules, all load-bearing:
 * - Every pattern is single-line (`[ \t]` not `\s`, no `\n` in classes) and every quantifier is bounded,
 *   so a 100,000-line log is one linear scan per rule and the line count never changes.
 * - Specific token formats (GitHub, AWS, JWT, ...) run before the generic `key=value` rule, which then
 *   skips any value that already holds a marker: that ordering is what makes redaction idempotent.
 * - Markers are `[REDACTED:<kind>]`; the key, scheme, user and host around a secret stay visible.
 * - Line-structured passes run first, on the split lines: PEM bodies (also when every line carries a log
 *   prefix, matched by shape so timestamps may differ) and Kubernetes Secret manifests (every value under
 *   `data:` / `stringData:` of an object that is a Secret, in YAML, pretty JSON, or one-line JSON at any depth
 *   of string escaping). Each visits every line a bounded number of times.
 * - An unquoted value after a secret key runs to the end of the line when the rest of the line is plain words
 *   (`SMTP_PASSWORD=my smtp pass 2024`); a quoted one runs to its closing quote.
 * - secretlint's recommended preset was read as a second layer but not run: see PORTED_TOKENS for why and for
 *   the formats taken from it.
 *
 * Deliberately NOT redacted (documented look-alikes): keys that merely contain a secret word
 * (`password_reset_count=3`, `token_count=512`, `max_tokens`, `secretName: hf-token`, `tokens/s`),
 * model special tokens (`eos_token`, `pad_token`), pagination tokens (`next_page_token`), `$VAR` /
 * `${VAR}` / `{{ template }}` references, placeholders (`***`, `<redacted>`, `null`), and prose such as
 * `invalid token: expired` (a `word: value` pair inside a sentence is redacted only when the value
 * looks random: letters and digits, or 20+ characters).
 */

export interface RedactResult {
  text: string;
  count: number;
  kinds: Record<string, number>;
}

const MARKER_PREFIX = "[REDACTED:";

/** The marker that replaces a secret of the given kind. */
export function redactionMarker(kind: string): string {
  return `${MARKER_PREFIX}${kind}]`;
}

type Tally = { count: number; kinds: Record<string, number> };

function note(t: Tally, kind: string): string {
  t.count++;
  t.kinds[kind] = (t.kinds[kind] ?? 0) + 1;
  return redactionMarker(kind);
}

const PLACEHOLDER =
  /^(?:null|none|nil|<nil>|undefined|true|false|\*+|x{3,}|\.{3}|…|redacted|<redacted>|hidden|masked|\$\{[^}]*\}|\$\([^)]*\)|\$[A-Za-z_][A-Za-z0-9_]*|\{\{.*\}\}|<[^>]*>|%[A-Za-z_]+%)$/i;

function isPlaceholder(v: string): boolean {
  return v.length === 0 || v.includes(MARKER_PREFIX) || PLACEHOLDER.test(v);
}

/** Kind of secret a key name denotes, when the key's LAST word is a secret word. */
const KEY_SUFFIX_SOURCE =
  "pass(?:word|wd|phrase)|pwd|client[_-]?secret|secret|token|api[_-]?key|apikey|access[_-]?key|secret[_-]?key|private[_-]?key|credentials?|auth[_-]?key|signing[_-]?key|encryption[_-]?key|master[_-]?key";
const KEY_SUFFIX_END = new RegExp(`(?:${KEY_SUFFIX_SOURCE})$`, "i");

/** Key names that end in a secret word but hold no secret (counts, pagination, tokenizer special tokens). */
const NON_SECRET_KEYS = new Set([
  "pwd",
  "oldpwd",
  "pagetoken",
  "nextpagetoken",
  "nexttoken",
  "continuetoken",
  "continuationtoken",
  "resumetoken",
  "synctoken",
  "cancellationtoken",
  "eostoken",
  "bostoken",
  "padtoken",
  "unktoken",
  "septoken",
  "clstoken",
  "masktoken",
  "stoptoken",
  "eottoken",
  "specialtoken",
  "decoderstarttoken",
  "imagetoken",
  "videotoken",
  "audiotoken",
]);

function kindForSuffix(suffix: string): string {
  const s = suffix.toLowerCase().replace(/[_-]/g, "");
  if (s.startsWith("pass") || s === "pwd") return "password";
  if (s === "token") return "token";
  if (s === "apikey") return "api-key";
  if (s === "privatekey") return "private-key";
  return "secret";
}

/** The secret kind a JSON/YAML/env key denotes (`DB_PASSWORD` → password), or undefined. */
export function secretKindForKey(key: string): string | undefined {
  const m = KEY_SUFFIX_END.exec(key);
  if (!m) return undefined;
  if (NON_SECRET_KEYS.has(key.toLowerCase().replace(/[_.-]/g, ""))) return undefined;
  return kindForSuffix(m[0]);
}

type Rule = {
  /** Lower-case literals; the rule is skipped when none occurs in the text (cheap prefilter). */
  needles: string[];
  re: RegExp;
  /** Returns the replacement, or null to leave the match alone. */
  replace: (t: Tally, m: string, groups: Array<string | undefined>, offset: number, input: string) => string | null;
};

const simple = (kind: string, validate?: (m: string) => boolean): Rule["replace"] =>
  (t, m) => (validate && !validate(m) ? null : note(t, kind));

const hasUpperLowerDigit = (s: string) => /[A-Z]/.test(s) && /[a-z]/.test(s) && /\d/.test(s);

function decodesToUserPass(b64: string): boolean {
  try {
    const s = atob(b64);
    return /^[\x20-\x7e]{1,200}:[\x20-\x7e]{0,200}$/.test(s);
  } catch {
    return false;
  }
}

const DB_SCHEMES = /^(?:http|https|ftp|ftps|sftp|git|ssh|ws|wss|svn)$/i;

const IDENT_CHAR = /[A-Za-z0-9_.-]/;

/** The whole key that ends where the matched secret word starts, and whether it is quoted or starts a line or struct field. */
function keyContext(input: string, start: number): { key: string; strong: boolean } {
  let i = start;
  while (i > 0 && start - i < 80 && IDENT_CHAR.test(input[i - 1] ?? "")) i--;
  const key = input.slice(i, start);
  let j = i - 1;
  const quoted = input[j] === '"' || input[j] === "'";
  if (quoted) j--;
  while (j >= 0 && (input[j] === " " || input[j] === "\t")) j--;
  const before = j < 0 ? "\n" : (input[j] ?? "\n");
  // Line start (YAML/env), list item, or inside a struct/map: a real key, not a word in a sentence.
  const strong = quoted || before === "\n" || before === "\r" || "{,(;-[<>".includes(before) || /\bexport$/.test(input.slice(Math.max(0, j - 6), j + 1));
  return { key, strong };
}

const PASSWORD_CLIENT = /^(?:redis-cli|mysql(?:dump|admin|import|show|check)?|mariadb(?:-dump|-admin)?|mongo(?:sh|dump|restore|import|export)?|sshpass)$/;

/** The flag of `client` whose next word is a password, or whose attached rest is one (`-pPW`). */
function passwordFlag(client: string, word: string): "next" | "attached" | undefined {
  if (client === "redis-cli") return word === "-a" || word === "--pass" ? "next" : undefined;
  if (client.startsWith("mongo")) return word === "-p" || word === "--password" ? "next" : undefined;
  if (client === "sshpass") return word === "-p" ? "next" : /^-p./.test(word) ? "attached" : undefined;
  return /^-p./.test(word) ? "attached" : undefined; // mysql family: `-p` alone prompts, the next word is a database
}

/** Redacts the passwords in one command line of a database or cache client; quoted values may span words. */
function redactPasswordFlags(cmd: string, t: Tally): string | null {
  const parts = cmd.split(/([ \t]+)/);
  let client = parts[0] ?? "";
  let changed = false;
  for (let k = 2; k < parts.length; k += 2) {
    const word = parts[k] ?? "";
    if (PASSWORD_CLIENT.test(word)) {
      client = word;
      continue;
    }
    const how = passwordFlag(client, word);
    if (!how) continue;
    let from = k + 2;
    let lead = "";
    if (how === "attached") {
      from = k;
      lead = word.slice(0, 2);
    }
    let value = (parts[from] ?? "").slice(lead.length);
    if (value === "" || value.startsWith("-")) continue;
    let q = value[0] === "'" || value[0] === '"' ? value[0] : "";
    let last = from;
    // A quoted value may span up to 8 words; a quote that does not close by then leaves just the first word.
    let joined = value;
    while (q && !(joined.length > 1 && joined.endsWith(q)) && last + 2 < parts.length && last - from < 16) {
      last += 2;
      joined += `${parts[last - 1] ?? ""}${parts[last] ?? ""}`;
    }
    if (q && joined.length > 1 && joined.endsWith(q)) value = joined.slice(1, -1);
    else [q, last] = ["", from];
    if (isPlaceholder(value)) continue;
    parts.splice(from, last - from + 1, `${lead}${q}${note(t, "password")}${q}`);
    changed = true;
  }
  return changed ? parts.join("") : null;
}

const looksRandom = (v: string) => (v.length >= 8 && /\d/.test(v) && /[A-Za-z]/.test(v)) || v.length >= 20;

/**
 * Why not run the preset itself: 13.x declares Node >= 22 (12.0.0 is the last for Node 20); its rules are
 * synchronous but report whole-match ranges without a kind (a connection string's host would go with the
 * password), honour `secretlint-disable` comments found in the scanned text (a log line could switch them off),
 * scan the whole text once per rule with no prefilter (230 ms on a 100,000-line log, more than all of ours), and
 * its SendGrid pattern is super-linear in practice (4.8 s on 6 MB of `SG.a.` lines).
 *
 * Token formats ported from secretlint's recommended preset 12.0.0 (@secretlint/secretlint-rule-{sendgrid,
 * hashicorp-vault,npm,shopify,groq,linear,notion,grafana,1password,vercel,databricks,docker,figma}), rewritten so
 * each is linear: a fixed prefix, then bounded runs of one class each (their SendGrid pattern,
 * `\w{1,128}([-_]?)\w{1,128}`, backtracks about 16,000 steps per `SG.`; the exact 22.43 shape does not).
 */
const PORTED_TOKENS = new RegExp(
  [
    String.raw`SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])`,
    String.raw`hv[sr]\.[A-Za-z0-9_-]{90,120}(?![A-Za-z0-9_-])`,
    String.raw`hvb\.[A-Za-z0-9_-]{138,300}(?![A-Za-z0-9_-])`,
    String.raw`npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])`,
    String.raw`shp(?:pa|ca|at|ss)_[A-Za-z0-9]{32,64}(?![A-Za-z0-9])`,
    String.raw`gsk_[A-Za-z0-9]{52}(?![A-Za-z0-9])`,
    String.raw`lin_api_[A-Za-z0-9_]{32,128}(?![A-Za-z0-9_])`,
    String.raw`ntn_\d{11}[A-Za-z0-9]{35}(?![A-Za-z0-9])`,
    String.raw`glc_[A-Za-z0-9+/]{32,400}={0,2}(?![A-Za-z0-9+/=])`,
    String.raw`glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}(?![A-Za-z0-9])`,
    String.raw`ops_ey[A-Za-z0-9+/=]{100,1280}(?![A-Za-z0-9+/=])`,
    String.raw`vc[picrk]_[A-Za-z0-9]{20,60}(?![A-Za-z0-9])`,
    String.raw`dapi[a-f0-9]{32}(?:-\d)?(?![A-Za-z0-9])`,
    String.raw`dckr_pat_[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])`,
    String.raw`figd_[A-Za-z0-9_-]{40,200}(?![A-Za-z0-9_-])`,
  ].join("|"),
  "g",
);
const PORTED_KINDS: Array<[RegExp, string]> = [
  [/^SG\./, "sendgrid-key"],
  [/^hv[sbr]\./, "vault-token"],
  [/^npm_/, "npm-token"],
  [/^shp/, "shopify-token"],
  [/^gsk_/, "groq-key"],
  [/^lin_api_/, "linear-key"],
  [/^ntn_/, "notion-token"],
  [/^gl(?:c|sa)_/, "grafana-token"],
  [/^ops_/, "1password-token"],
  [/^vc/, "vercel-token"],
  [/^dapi/, "databricks-token"],
  [/^dckr_pat_/, "docker-token"],
  [/^figd_/, "figma-token"],
];

/**
 * Further words of an unquoted value, captured only when they run to the end of the line (or to a ` #` comment):
 * words hold no `=`, `:` or separators, so `password=abc user=bob` and `key=v at 10:00` end after the first word.
 * Blanks and words are disjoint classes, so the repetition cannot backtrack more than linearly.
 */
const VALUE_CONTINUATION = String.raw`((?:[ \t]+[^\s"'${"`"},;&<>{}\[\]()|=:#][^\s"'${"`"},;&<>{}\[\]()|=:]{0,1023}){1,32}(?=[ \t]*(?:[ \t]#[^\r\n]*)?\r?(?![^\n]))|)`;

const rules: Rule[] = [
  {
    needles: ["eyj"],
    re: /\beyJ[A-Za-z0-9_-]{5,2048}\.eyJ[A-Za-z0-9_-]{5,8192}\.[A-Za-z0-9_-]{0,2048}/g,
    replace: simple("jwt"),
  },
  {
    needles: ["gh", "github_pat_"],
    re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,242})\b/g,
    replace: simple("github-token"),
  },
  {
    needles: ["gl", "gr1348941"],
    re: /\b(?:gl(?:pat|dt|rt|ptt|cbt|oas|ft|soat|imt|agent)-[A-Za-z0-9_-]{20,128}(?:\.[A-Za-z0-9_-]{2,64}){0,3}|GR1348941[A-Za-z0-9_-]{20,64})/g,
    replace: simple("gitlab-token"),
  },
  {
    needles: ["xox"],
    re: /\bxox[abposre]-[A-Za-z0-9-]{10,250}/g,
    replace: simple("slack-token"),
  },
  {
    needles: ["hooks.slack.com"],
    re: /(https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/)([A-Za-z0-9_/-]{10,300})/g,
    replace: (t, _m, [prefix = ""]) => `${prefix}${note(t, "slack-webhook")}`,
  },
  {
    needles: ["sk-"],
    re: /\bsk-(?:proj-|svcacct-|admin-|ant-(?:api|admin|oat)\d{2}-)?[A-Za-z0-9_-]{20,400}/g,
    replace: (t, m) => {
      if (!hasUpperLowerDigit(m)) return null; // pod names like sk-worker-7d9f8b6c5d-x2x9z are lower-case
      return note(t, m.startsWith("sk-ant-") ? "anthropic-key" : "openai-key");
    },
  },
  {
    needles: ["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
    re: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,200}/g,
    replace: simple("stripe-key"),
  },
  {
    needles: ["hf_", "api_org_"],
    re: /\b(?:hf_|api_org_)[A-Za-z0-9]{30,64}\b/g,
    replace: simple("huggingface-token", (m) => /[A-Z]/.test(m) && /[a-z]/.test(m.slice(3))),
  },
  {
    // PORTED_TOKENS (secretlint's formats). One regex, no needles: a single scan of a large log costs less than
    // thirty scans for needles that are absent.
    needles: [],
    re: PORTED_TOKENS,
    replace: (t, m, _g, offset, input) => {
      if (/[A-Za-z]/.test(input[offset - 1] ?? "")) return null; // glued to a word: not a token start
      const kind = PORTED_KINDS.find(([prefix]) => prefix.test(m))?.[1];
      return kind ? note(t, kind) : null;
    },
  },
  {
    // .npmrc `//registry/:_authToken=…` (secretlint-rule-npm).
    needles: ["_authtoken="],
    re: /(_authToken=)([^\s"'$][^\s"']{7,1023})/g,
    replace: (t, _m, [prefix = "", value = ""]) => (isPlaceholder(value) ? null : `${prefix}${note(t, "npm-token")}`),
  },
  {
    // Docker's config.json: `"auth"` is base64 of user:password, at any depth of JSON string escaping.
    needles: ["auth"],
    re: /(auth\\{0,7}["']?[ \t]{0,16}:[ \t]{0,16}\\{0,7}["']?)([A-Za-z0-9+/]{4,8192}={0,2})(?![A-Za-z0-9+/=])/g,
    replace: (t, _m, [prefix = "", value = ""], offset, input) => {
      if (/\w/.test(input[offset - 1] ?? "")) return null; // oauth:, x_auth:
      return decodesToUserPass(value) ? `${prefix}${note(t, "docker-auth")}` : null;
    },
  },
  {
    // A whole docker config, base64-encoded (`{"auths":` and `{\n  "auths":` encode to these prefixes).
    needles: ["eyjhdxrocyi6", "ewogicjhdxrocyi6"],
    re: /(?<![A-Za-z0-9+/])(?:eyJhdXRocyI6|ewogICJhdXRocyI6)[A-Za-z0-9+/]{8,65536}={0,2}(?![A-Za-z0-9+/=])/g,
    replace: simple("docker-config"),
  },
  {
    needles: ["akia", "asia", "abia", "acca", "a3t"],
    re: /\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}\b/g,
    replace: simple("aws-access-key"),
  },
  {
    needles: ["secret_access_key", "secretaccesskey", "secret_key", "secretkey", "secret-access-key"],
    re: /((?:aws[_-]?)?secret[_-]?(?:access[_-]?)?key["']?[ \t]*(?:=|:|=>)[ \t]*["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/gi,
    replace: (t, _m, [prefix = ""]) => `${prefix}${note(t, "aws-secret-key")}`,
  },
  {
    // A bare secret access key (40 characters of base64 with upper case, lower case and a digit or / +) at most
    // 100 characters after "aws" or "secret" on its line. Hex digests are single-case, so SHAs beside the word
    // "secret" stay. The scan starts at the keyword; each lookahead is bounded by the key's 40 characters.
    needles: ["aws", "secret"],
    // Case-sensitive on purpose (the lookaheads tell cases apart), so the keyword spells its cases out.
    re: /(?<!\[REDACTED:[a-z0-9-]{0,40})([Aa][Ww][Ss]|[Ss][Ee][Cc][Rr][Ee][Tt])([^\n]{0,100}?)(?<![A-Za-z0-9/+=])((?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[0-9/+])[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/g,
    replace: (t, _m, [word = "", gap = ""]) => `${word}${gap}${note(t, "aws-secret-key")}`,
  },
  {
    needles: ["x-amz-signature", "x-amz-security-token", "x-goog-signature", "signature="],
    re: /((?:[?&]X-(?:Amz|Goog)-(?:Signature|Security-Token)=)|(?:\bSignature=))([A-Za-z0-9%+/=_-]{16,4096})/gi,
    replace: (t, _m, [prefix = ""]) => {
      const p = prefix.toLowerCase();
      const kind = p.includes("goog") ? "gcp-signed-url" : p.includes("security-token") ? "aws-session-token" : "aws-signature";
      return `${prefix}${note(t, kind)}`;
    },
  },
  {
    needles: ["aiza"],
    re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g,
    replace: simple("gcp-api-key"),
  },
  {
    needles: ["ya29."],
    re: /\bya29\.[0-9A-Za-z_-]{20,2048}/g,
    replace: simple("gcp-access-token"),
  },
  {
    needles: ["private_key_id"],
    re: /("private_key_id"[ \t]*:[ \t]*")([0-9a-f]{40})(")/g,
    replace: (t, _m, [a = "", , c = ""]) => `${a}${note(t, "gcp-service-account-key")}${c}`,
  },
  {
    needles: ["accountkey", "sharedaccesskey", "sharedaccesssignature"],
    re: /\b(AccountKey=|SharedAccessKey=|SharedAccessSignature=)([A-Za-z0-9+/=%&:._-]{20,400}?)(?=;|"|'|\s|$)/gim,
    replace: (t, _m, [prefix = ""]) =>
      `${prefix}${note(t, prefix.startsWith("AccountKey") ? "azure-storage-key" : "azure-connection-string")}`,
  },
  {
    needles: ["sig="],
    re: /([?&]sig=)([A-Za-z0-9%+/=]{20,200})/g,
    replace: (t, _m, [prefix = ""]) => `${prefix}${note(t, "azure-sas-token")}`,
  },
  {
    needles: ["://"],
    // The password may hold `#` (p#ss@host): parsers split at the last `@`, before any path.
    re: /\b([a-z][a-z0-9+.-]{1,30}:\/\/)([^\s:/?#@"'<>[\]]{0,128}):([^\s/?"'<>]{1,256})@(?=[A-Za-z0-9[])/gi,
    replace: (t, _m, [scheme = "", user = "", pass = ""]) => {
      if (isPlaceholder(pass)) return null;
      const kind = DB_SCHEMES.test(scheme.slice(0, -3)) ? "url-password" : "dsn-password";
      return `${scheme}${user}:${note(t, kind)}@`;
    },
  },
  {
    needles: ["authorization"],
    re: /\b((?:proxy-)?authorization["']?[ \t]*[:=][ \t]*["']?)(?:(Bearer|Basic|token|Digest|Negotiate|Bot|ApiKey|Api-Key|SharedKey)[ \t]+)?([^\s"',;)}\]]{1,4096})/gi,
    replace: (t, _m, [prefix = "", scheme, value = ""]) => {
      if (isPlaceholder(value) || /^(?:bearer|basic|token|digest|negotiate|aws4-hmac-sha256|none|required|failed|denied|header)$/i.test(value)) {
        return null;
      }
      if (!scheme && value.length < 8) return null;
      const s = (scheme ?? "").toLowerCase();
      const kind = s === "bearer" ? "bearer-token" : s === "basic" ? "basic-auth" : "token";
      return `${prefix}${scheme ? `${scheme} ` : ""}${note(t, kind)}`;
    },
  },
  {
    needles: ["bearer"],
    re: /\b(Bearer[ \t]+)([A-Za-z0-9._~+/-]{16,4096}=*)/gi,
    replace: (t, _m, [prefix = "", value = ""]) => (/\d/.test(value) ? `${prefix}${note(t, "bearer-token")}` : null),
  },
  {
    needles: ["basic"],
    re: /\b(Basic[ \t]+)([A-Za-z0-9+/]{8,1024}={0,2})(?![A-Za-z0-9+/=])/g,
    replace: (t, _m, [prefix = "", value = ""]) => (decodesToUserPass(value) ? `${prefix}${note(t, "basic-auth")}` : null),
  },
  {
    needles: ["cookie"],
    re: /\b((?:set-)?cookie["']?[ \t]*:[ \t]*)([^\r\n"]{1,4096})/gi,
    replace: (t, _m, [prefix = "", value = ""]) => {
      const setCookie = prefix.toLowerCase().startsWith("set-");
      let first = true;
      let changed = false;
      const out = value.replace(/(^|;[ \t]*)([^=;\s]{1,128})=([^;\s]{1,2048})/g, (whole, sep: string, name: string, v: string) => {
        const redact = !setCookie || first;
        first = false;
        if (!redact || isPlaceholder(v)) return whole;
        changed = true;
        return `${sep}${name}=${note(t, "cookie")}`;
      });
      return changed ? `${prefix}${out}` : null;
    },
  },
  {
    needles: ["-----begin"],
    // A PEM block flattened onto one line (JSON "\n" escapes): keep the armour, drop the body.
    re: /(-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)((?:\\r)?\\n|[ \t])[A-Za-z0-9+/=\\: \t,-]{16,16384}?((?:\\r)?\\n|[ \t]|)(-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----)/g,
    replace: (t, _m, [begin = "", nl1 = "", nl2 = "", end = ""]) => `${begin}${nl1}${note(t, "private-key")}${nl2}${end}`,
  },
  {
    // Database and cache clients that take a password as a short flag: `redis-cli -a PW`, `--pass PW`,
    // `mysql -pPW` (attached; `-p db` prompts), `mongosh -p PW`, `sshpass -p PW`.
    needles: ["redis-cli", "mysql", "mariadb", "mongo", "sshpass"],
    re: /\b(?:redis-cli|mysql(?:dump|admin|import|show|check)?|mariadb(?:-dump|-admin)?|mongo(?:sh|dump|restore|import|export)?|sshpass)(?:[ \t]+[^ \t\r\n]{1,1024}){1,64}/g,
    replace: (t, m) => redactPasswordFlags(m, t),
  },
  {
    needles: ["--"],
    re: /(--(?:[a-z0-9]{1,20}-){0,4}(?:password|passwd|pass|token|secret|api-key|apikey|access-key|secret-key|client-secret))([ \t]+|=)([^\s"'-][^\s"']{0,1023})/gi,
    replace: (t, _m, [flag = "", sep = "", value = ""]) => {
      const suffix = /(password|passwd|pass|token|secret|api-?key|access-key|secret-key|client-secret)$/i.exec(flag)?.[1] ?? "secret";
      if (isPlaceholder(value)) return null;
      if (/pass$/i.test(flag) && /^\d{1,2}$/.test(value)) return null; // x264/ffmpeg `--pass 2`
      if (kindForSuffix(suffix) === "token" && /^\d+$/.test(value)) return null;
      return `${flag}${sep}${note(t, kindForSuffix(suffix))}`;
    },
  },
  {
    needles: ["pass", "pwd", "secret", "token", "key", "credential"],
    re: new RegExp(
      `(${KEY_SUFFIX_SOURCE})(["']?)([ \\t]*(?:=>|=|:)[ \\t]*)(?:"((?:[^"\\\\\\r\\n]|\\\\.){1,1024})"|'([^'\\r\\n]{1,1024})'|(\\$\\{[^}\\r\\n]{0,200}\\}|\\$\\([^)\\r\\n]{0,200}\\)|\\{\\{[^}\\r\\n]{0,200}\\}\\})|([^\\s"'\`,;&<>{}\\[\\]()|]{1,1024})${VALUE_CONTINUATION})`,
      "gi",
    ),
    replace: (t, _m, [suffix = "", keyQuote = "", sep = "", dq, sq, template, bare, more = ""], offset, input) => {
      if (template !== undefined) return null; // ${VAR}, $(cmd), {{ .Values.x }}: a reference, not a value
      const { key: keyPrefix, strong } = keyContext(input, offset);
      const key = keyPrefix + suffix;
      if (NON_SECRET_KEYS.has(key.toLowerCase().replace(/[_.-]/g, ""))) return null;
      const value = dq ?? sq ?? bare ?? "";
      if (isPlaceholder(value)) return null;
      const kind = kindForSuffix(suffix);
      if (kind === "token" && /^\d{1,9}$/.test(value)) return null; // counts, not tokens
      if (bare !== undefined) {
        if (/^[|>&*!]/.test(value)) return null; // YAML block scalars, anchors, aliases, tags
        const compact = !/[ \t]/.test(sep) && sep.includes(":");
        // `word token: value` in a sentence, or `"name" : word` in a message, is prose unless the value looks random.
        const prose = (!strong && !keyQuote) || (keyQuote !== "" && /^[ \t]/.test(sep));
        if (sep.includes(":") && !compact && prose && !looksRandom(value)) return null;
        if (keyQuote && !looksRandom(value) && !/[^A-Za-z]/.test(value) && /^[ \t]/.test(sep)) return null;
      }
      const quote = dq !== undefined ? '"' : sq !== undefined ? "'" : "";
      // More words up to the end of the line belong to the value (`SMTP_PASSWORD=my smtp pass 2024`) after `=`
      // or a line-start `key:`; not after a URL's `?`/`&` nor in a sentence.
      const before = input[offset - keyPrefix.length - 1];
      const wholeLine = more !== "" && before !== "?" && before !== "&" && !keyQuote && (sep.includes("=") || strong);
      return `${suffix}${keyQuote}${sep}${quote}${note(t, kind)}${quote}${wholeLine ? "" : more}`;
    },
  },
  {
    needles: ["<"],
    re: /<((?:[\w.-]{1,40}:)?[\w.-]{0,40}(?:password|passwd|secret|token|apikey|api_key))>([^<\r\n]{1,1024})<\//gi,
    replace: (t, _m, [tag = "", value = ""]) => {
      const kind = secretKindForKey(tag.replace(/^[\w.-]*:/, ""));
      if (!kind || isPlaceholder(value)) return null;
      return `<${tag}>${note(t, kind)}</`;
    },
  },
  {
    needles: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    re: /(?<![\w./-])[2-6](?:\d[ -]?){11,17}\d(?![\w./-])/g,
    replace: (t, m) => (isCardNumber(m) ? note(t, "card-number") : null),
  },
];

function isCardNumber(raw: string): boolean {
  if (/[ -]/.test(raw) && !/^\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}$|^\d{4}([ -])\d{6}\2\d{4,5}$/.test(raw)) return false;
  const d = raw.replace(/[ -]/g, "");
  const len = d.length;
  const p2 = Number(d.slice(0, 2));
  const p4 = Number(d.slice(0, 4));
  const branded =
    (d[0] === "4" && (len === 13 || len === 16 || len === 19)) ||
    (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && len === 16) ||
    ((p2 === 34 || p2 === 37) && len === 15) ||
    ((d.startsWith("6011") || d.startsWith("65") || (p4 >= 6440 && p4 <= 6499) || d.startsWith("62")) && len >= 16) ||
    (p4 >= 3528 && p4 <= 3589 && len >= 16) ||
    ((p2 === 36 || p2 === 38 || (p4 >= 3000 && p4 <= 3059)) && len === 14);
  if (!branded || /^(\d)\1+$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < len; i++) {
    let n = d.charCodeAt(len - 1 - i) - 48;
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[ \t]*["',]?[ \t]*\r?$/;
const PEM_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/;
const PEM_BODY = /^([ \t"'|]*)([A-Za-z0-9+/=]{8,}|Proc-Type:.*|DEK-Info:.*)([ \t"',]*)(\r?)$/;
const PEM_REDACTED_BODY = /^[ \t"'|]*\[REDACTED:private-key\][ \t"',]*\r?$/;

const isBlank = (c: string | undefined) => c === " " || c === "\t";

/** `s` without leading blanks and without trailing characters from `tail` (a loop: a regex would be quadratic on long runs). */
function trimPrefixCore(s: string, tail: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isBlank(s[a])) a++;
  while (b > a && tail.includes(s[b - 1] ?? "")) b--;
  return s.slice(a, b);
}

/**
 * A matcher for log prefixes shaped like `core` (`2026-12-06T10:00:00.1Z INFO`, `[pod/x/c]`): the same text with
 * any digits in place of digits, so each line's own timestamp matches. Literals and `\d+` alternate, with every
 * literal starting on a non-digit, so matching is linear. Undefined when there is no prefix.
 */
function prefixMatcher(core: string): RegExp | undefined {
  if (core === "" || core.length > 200) return undefined;
  const literal = core.split(/\d+/).map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"));
  return new RegExp(`^[ \\t]*${literal.join("\\d+")}`);
}

/** Splits a line into the part its log prefix takes and the rest; undefined when the line lacks the prefix. */
function splitPrefix(line: string, prefix: RegExp | undefined): [head: string, rest: string] | undefined {
  if (!prefix) return ["", line];
  const m = prefix.exec(line);
  return m ? [m[0], line.slice(m[0].length)] : undefined;
}

/**
 * Multi-line PEM blocks: every body line becomes a marker, so line numbers stay valid. When the BEGIN line has a
 * log prefix, body lines with a prefix of the same shape are body lines too.
 */
function redactPemBlocks(lines: string[], t: Tally): boolean {
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    const begin = lines[i] ?? "";
    if (!begin.includes("PRIVATE KEY") || !PEM_BEGIN.test(begin)) continue;
    const prefix = prefixMatcher(trimPrefixCore(begin.slice(0, begin.indexOf("-----BEGIN")), " \t\"'|"));
    let redactedAny = false;
    let j = i + 1;
    for (; j < lines.length && j - i < 200; j++) {
      const line = lines[j] ?? "";
      if (PEM_END.test(line)) break;
      const split = splitPrefix(line, prefix);
      let head = "";
      let m = split ? PEM_BODY.exec(split[1]) : null;
      if (m && split) head = split[0];
      else m = PEM_BODY.exec(line);
      if (!m) {
        // Blank lines, and body lines an earlier pass already turned into a marker, do not end the block.
        if (line.trim() === "" || (split && split[1].trim() === "") || PEM_REDACTED_BODY.test(split ? split[1] : line) || PEM_REDACTED_BODY.test(line)) continue;
        break;
      }
      if (m[2]?.startsWith(MARKER_PREFIX)) continue;
      lines[j] = `${head}${m[1]}${redactionMarker("private-key")}${m[3]}${m[4]}`;
      redactedAny = true;
    }
    if (redactedAny) {
      note(t, "private-key");
      changed = true;
    }
    i = j;
  }
  return changed;
}

/** One line of YAML or pretty-printed JSON, as far as finding a Kubernetes object's fields needs. */
interface FieldLine {
  /** Column of the key (or of the first character); a `- ` list marker counts as indentation. */
  col: number;
  item: boolean;
  key?: string;
  /** The value after `key:`, trimmed, with JSON's trailing comma and quotes still on. */
  value: string;
  /** Index in the line where the value starts. */
  valueAt: number;
}

const KEY_CHAR = /[A-Za-z0-9._/-]/;

function lexField(rest: string): FieldLine | undefined {
  let i = 0;
  while (isBlank(rest[i])) i++;
  let item = false;
  if (rest[i] === "-" && isBlank(rest[i + 1])) {
    item = true;
    i++;
    while (isBlank(rest[i])) i++;
  }
  let end = rest.length;
  while (end > i && (isBlank(rest[end - 1]) || rest[end - 1] === "\r")) end--;
  if (i >= end) return undefined;
  const col = i;
  let key: string | undefined;
  let j = i;
  if (rest[i] === '"') {
    const close = rest.indexOf('"', i + 1);
    if (close > i && close - i <= 254) {
      key = rest.slice(i + 1, close);
      j = close + 1;
    }
  } else {
    while (j < end && j - i < 254 && KEY_CHAR.test(rest[j] ?? "")) j++;
    if (j > i) key = rest.slice(i, j);
  }
  if (key !== undefined) {
    while (isBlank(rest[j])) j++;
    if (rest[j] === ":" && (j + 1 >= end || isBlank(rest[j + 1]))) {
      j++;
      while (j < end && isBlank(rest[j])) j++;
      return { col, item, key, value: rest.slice(j, end), valueAt: j };
    }
  }
  return { col, item, value: rest.slice(col, end), valueAt: col };
}

const unquote = (v: string) => v.replace(/,$/, "").replace(/^(["'])(.*)\1$/, "$2");

/** `kind: Secret` → true, any other kind → false, a Secret's `type:` → true, anything else → undefined. */
function secretEvidence(f: FieldLine): boolean | undefined {
  if (f.key === "kind") return unquote(f.value) === "Secret";
  if (f.key === "type" && /^(?:Opaque|kubernetes\.io\/|bootstrap\.kubernetes\.io\/)/.test(unquote(f.value))) return true;
  return undefined;
}

const SECRET_LOOK_BEHIND = 60;
const SECRET_LOOK_AHEAD = 300;
const SECRET_BLOCK_MAX = 5000;
/** Lines of another shape (other log sources interleaved) tolerated in a row before a manifest is taken to end. */
const FOREIGN_RUN_MAX = 20;

const SECRET_OPENER = /(?:^|[ \t])(-[ \t]+)?("?)(data|stringData)\2[ \t]*:[ \t]*(\{?)[ \t]*\r?$/;

type Lexed = { head: string; rest: string; f: FieldLine | undefined };

/** Line `n` split at its log prefix and lexed; undefined when it lacks the prefix (another source's line). */
function fieldAt(lines: string[], n: number, prefix: RegExp | undefined): Lexed | undefined {
  const split = splitPrefix(lines[n] ?? "", prefix);
  return split ? { head: split[0], rest: split[1], f: lexField(split[1]) } : undefined;
}

const isOpener = (f: FieldLine, col: number) => f.col === col && (f.key === "data" || f.key === "stringData");

/**
 * Kubernetes Secret manifests printed into a log (`kubectl get secret -o yaml|json`, a CI job applying one):
 * every value under `data:` or `stringData:` is secret whatever its key (`tls.key`, `.dockerconfigjson`, a base64
 * database URL), so each becomes a marker and the keys stay. The block belongs to a Secret when a sibling field
 * says `kind: Secret` or a Secret `type:`; `stringData` exists only on Secrets; a ConfigMap's `data:` is left alone.
 * Lines may carry a log prefix; lines of the same prefix shape are read as the manifest's lines.
 * Cost: each block is read once and skipped; a sibling search stops at a shallower line, at the next `data:`
 * of the same depth, or after a bounded window, so every line is visited a bounded number of times.
 */
function redactSecretManifests(lines: string[], t: Tally): boolean {
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (!line.includes("ata")) continue;
    const opener = SECRET_OPENER.exec(line);
    if (!opener || (opener[2] === '"') !== (opener[4] === "{")) continue;
    const keyAt = opener.index + (opener[0].length - opener[0].trimStart().length);
    const prefix = prefixMatcher(trimPrefixCore(line.slice(0, keyAt), " \t-"));
    const col = fieldAt(lines, i, prefix)?.f?.col;
    if (col === undefined) continue;

    // The block: the lines indented deeper than the `data:` key.
    let end = i + 1;
    let foreign = 0;
    for (let n = i + 1; n < lines.length && n - i <= SECRET_BLOCK_MAX; n++) {
      const l = fieldAt(lines, n, prefix);
      if (!l) {
        if (++foreign > FOREIGN_RUN_MAX) break;
        continue;
      }
      foreign = 0;
      if (l.f && l.f.col <= col) break;
      end = n + 1;
    }

    let secret: boolean | undefined = opener[3] === "stringData" ? true : undefined;
    let decided = false;
    foreign = 0;
    for (let n = i - 1; n >= 0 && i - n <= SECRET_LOOK_BEHIND && !decided; n--) {
      const l = fieldAt(lines, n, prefix);
      if (!l) {
        if (++foreign > FOREIGN_RUN_MAX) break;
        continue;
      }
      foreign = 0;
      if (!l.f) continue;
      if (l.rest.trim() === "---" || l.f.col < col || isOpener(l.f, col)) break;
      if (l.f.col === col) {
        const e = secretEvidence(l.f);
        if (e !== undefined) [secret, decided] = [e, true];
        if (l.f.item) break;
      }
    }
    foreign = 0;
    for (let n = end; n < lines.length && n - end <= SECRET_LOOK_AHEAD && !decided; n++) {
      const l = fieldAt(lines, n, prefix);
      if (!l) {
        if (++foreign > FOREIGN_RUN_MAX) break;
        continue;
      }
      foreign = 0;
      if (!l.f) continue;
      if (l.rest.trim() === "---" || l.f.col < col || (l.f.col === col && l.f.item) || isOpener(l.f, col)) break;
      if (l.f.col === col) {
        const e = secretEvidence(l.f);
        if (e !== undefined) [secret, decided] = [e, true];
      }
    }
    if (secret) changed = redactSecretBlock(lines, i + 1, end, prefix, t) || changed;
    i = end - 1;
  }
  return changed;
}

function redactSecretBlock(
  lines: string[],
  from: number,
  to: number,
  prefix: RegExp | undefined,
  t: Tally,
): boolean {
  let entryCol = -1;
  let counted = true;
  let changed = false;
  for (let n = from; n < to; n++) {
    const l = fieldAt(lines, n, prefix);
    if (!l || !l.f) continue;
    const f = l.f;
    if (entryCol < 0) entryCol = f.col;
    const cr = l.rest.endsWith("\r") ? "\r" : "";
    let replaced: string | undefined;
    if (f.col <= entryCol && f.key !== undefined) {
      counted = false;
      // `key: |` starts a block scalar (its lines follow, deeper); `"key": "v",` is pretty JSON.
      const comma = f.value.endsWith(",") ? "," : "";
      const v = comma ? f.value.slice(0, -1) : f.value;
      const q = /^(["']).*\1$/.test(v) ? v[0] : "";
      const inner = q ? v.slice(1, -1) : v;
      if (/^[|>]/.test(v) || v === "" || v === "{" || isPlaceholder(inner)) continue;
      replaced = `${l.rest.slice(0, f.valueAt)}${q}${redactionMarker("k8s-secret")}${q}${comma}`;
    } else if (f.col > entryCol) {
      if (f.value.includes(MARKER_PREFIX)) continue;
      replaced = `${l.rest.slice(0, f.col)}${redactionMarker("k8s-secret")}`;
    } else {
      continue;
    }
    lines[n] = `${l.head}${replaced}${cr}`;
    if (!counted) note(t, "k8s-secret");
    counted = true;
    changed = true;
  }
  return changed;
}

const JSON_ESCAPES: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/** The character `readNested` read last (a module variable, so the hot loop allocates nothing). */
let nestedChar = "";
/** Read through a call, so TypeScript does not narrow it across calls that change it. */
const current = (): string => nestedChar;

/**
 * Reads one character of JSON text that sits `level` string encodings deep in `s` (level 1: the text of a JSON
 * string, as in a last-applied-configuration annotation printed by `-o json`) into `nestedChar`; returns the
 * index after it, or -1 at the end.
 */
function readNested(s: string, i: number, level: number): number {
  if (i >= s.length) return -1;
  if (level === 0) {
    nestedChar = s[i] ?? "";
    return i + 1;
  }
  const a = readNested(s, i, level - 1);
  if (a < 0 || current() !== "\\") return a;
  let b = readNested(s, a, level - 1);
  if (b < 0) return -1;
  if (current() !== "u") {
    nestedChar = JSON_ESCAPES[nestedChar] ?? nestedChar;
    return b;
  }
  for (let k = 0; k < 4 && b >= 0; k++) b = readNested(s, b, level - 1);
  nestedChar = "?";
  return b;
}

/** Raw [start, end) spans of the string values of the JSON object whose `{` ends before `from`, `level` encodings deep. */
function objectStringValues(s: string, from: number, level: number): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  let p = from;
  // Skips JSON blanks; leaves the next character in nestedChar and returns the index after it (-1 at the end).
  const skipWs = (): number => {
    for (;;) {
      const next = readNested(s, p, level);
      if (next < 0 || !" \t\r\n".includes(current())) return next;
      p = next;
    }
  };
  // With p just after an opening quote: the string's raw span, p moved past its closing quote.
  const readString = (): [number, number] | undefined => {
    const start = p;
    for (;;) {
      const next = readNested(s, p, level);
      if (next < 0) return undefined;
      if (current() === '"') {
        const end = p;
        p = next;
        return [start, end];
      }
      p = next;
      if (current() === "\\") {
        p = readNested(s, p, level);
        if (p < 0) return undefined;
      }
    }
  };
  for (;;) {
    let next = skipWs();
    if (next < 0 || current() === "}") return spans;
    p = next;
    if (current() === ",") continue;
    if (current() !== '"' || !readString()) return spans;
    next = skipWs();
    if (next < 0 || current() !== ":") return spans;
    p = next;
    next = skipWs();
    if (next < 0 || current() !== '"') return spans;
    p = next;
    const v = readString();
    if (!v) return spans;
    spans.push(v);
  }
}

const JSON_SECRET_OPENER = /(\\{0,7})"(?:data|stringData)\\{0,7}"[ \t]{0,16}:[ \t]{0,16}\{/g;
const JSON_SECRET_EVIDENCE =
  /\\{0,7}"(?:kind\\{0,7}"[ \t]{0,16}:[ \t]{0,16}\\{0,7}"Secret\\{0,7}"|type\\{0,7}"[ \t]{0,16}:[ \t]{0,16}\\{0,7}"(?:Opaque|kubernetes\.io\/|bootstrap\.kubernetes\.io\/)|stringData\\{0,7}")/;

/**
 * A Secret as one line of JSON (a JSON log line carrying the object, an annotation holding it as an escaped
 * string): when the line says `"kind":"Secret"` (or a Secret type, or has `stringData`), every string value
 * of its `data` / `stringData` objects becomes a marker, at whatever depth of string escaping it sits.
 */
function redactSecretJsonLines(lines: string[], t: Tally): boolean {
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (!line.includes("ata") || !line.includes("{") || !JSON_SECRET_EVIDENCE.test(line)) continue;
    const spans: Array<[number, number]> = [];
    JSON_SECRET_OPENER.lastIndex = 0;
    for (let m = JSON_SECRET_OPENER.exec(line); m; m = JSON_SECRET_OPENER.exec(line)) {
      const level = Math.log2((m[1]?.length ?? 0) + 1);
      if (!Number.isInteger(level)) continue;
      spans.push(...objectStringValues(line, m.index + m[0].length, level));
    }
    const parts: string[] = [];
    let at = 0;
    for (const [a, b] of spans.sort((x, y) => x[0] - y[0])) {
      if (a < at || b <= a || isPlaceholder(line.slice(a, b))) continue;
      parts.push(line.slice(at, a), note(t, "k8s-secret"));
      at = b;
    }
    if (parts.length > 0) {
      lines[i] = parts.join("") + line.slice(at);
      changed = true;
    }
  }
  return changed;
}

/** The line-structured passes: PEM bodies and Kubernetes Secret manifests. */
function redactLineBlocks(text: string, lower: string, t: Tally): string {
  const pem = text.includes("PRIVATE KEY");
  const k8s = lower.includes("data") && (text.includes("Secret") || text.includes("Opaque") || text.includes("kubernetes.io/") || text.includes("stringData"));
  if (!pem && !k8s) return text;
  const lines = text.split("\n");
  let changed = false;
  if (pem) changed = redactPemBlocks(lines, t) || changed;
  if (k8s) {
    changed = redactSecretManifests(lines, t) || changed;
    changed = redactSecretJsonLines(lines, t) || changed;
  }
  return changed ? lines.join("\n") : text;
}

/**
 * Replace secrets in free text with `[REDACTED:<kind>]` markers. The text otherwise stays byte-identical
 * and keeps its number of lines; redacting twice gives the same text as redacting once.
 */
export function redactText(text: string): RedactResult {
  const t: Tally = { count: 0, kinds: {} };
  if (text.length === 0) return { text, count: 0, kinds: {} };
  const lower = text.toLowerCase();
  let out = redactLineBlocks(text, lower, t);
  for (const rule of rules) {
    if (rule.needles.length > 0 && !rule.needles.some((n) => lower.includes(n))) continue;
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, (...args: unknown[]) => {
      const m = String(args[0]);
      // replace() passes (match, ...groups, offset, input[, namedGroups]); find offset by type.
      const offIdx = args.findIndex((a, i) => i > 0 && typeof a === "number");
      const groups = args.slice(1, offIdx).map((g) => (typeof g === "string" ? g : undefined));
      const offset = Number(args[offIdx]);
      const input = String(args[offIdx + 1]);
      return rule.replace(t, m, groups, offset, input) ?? m;
    });
  }
  return { text: out, count: t.count, kinds: t.kinds };
}

function merge(into: Tally, r: { count: number; kinds: Record<string, number> }): void {
  into.count += r.count;
  for (const [k, n] of Object.entries(r.kinds)) into.kinds[k] = (into.kinds[k] ?? 0) + n;
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

function redactString(s: string, t: Tally): string {
  const r = redactText(s);
  merge(t, r);
  return r.text;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep copy of a JSON value with secrets replaced: env values by name, map values by key, all strings by content. */
function redactJson(value: unknown, t: Tally, key?: string): unknown {
  if (typeof value === "string") {
    if (key === LAST_APPLIED) return redactLastApplied(value, t);
    const kind = key ? secretKindForKey(key) : undefined;
    if (kind && !isPlaceholder(value)) return note(t, kind);
    return redactString(value, t);
  }
  if (Array.isArray(value)) {
    // Container args: ["--api-key", "x"] carries the secret in the element after the flag.
    return value.map((v, i) => {
      const prev = i > 0 ? value[i - 1] : undefined;
      const flagKind = typeof prev === "string" && /^--?[A-Za-z]/.test(prev) && !prev.includes("=") ? secretKindForKey(prev.replace(/^-+/, "")) : undefined;
      if (flagKind && typeof v === "string" && !isPlaceholder(v) && !v.startsWith("-")) return note(t, flagKind);
      return redactJson(v, t);
    });
  }
  if (isRecord(value)) return redactRecord(value, t);
  return value;
}

function redactRecord(src: Record<string, unknown>, t: Tally): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // An env var ({name, value}) is judged by its name: DB_PASSWORD's value is secret whatever it looks like.
  const envName = typeof src.name === "string" && typeof src.value === "string" ? src.name : undefined;
  for (const [k, v] of Object.entries(src)) {
    if (k === "value" && envName !== undefined && typeof v === "string") {
      const kind = secretKindForKey(envName);
      out[k] = kind && !isPlaceholder(v) ? note(t, kind) : redactString(v, t);
    } else {
      out[k] = redactJson(v, t, k);
    }
  }
  return out;
}

function redactLastApplied(s: string, t: Tally): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    return redactString(s, t);
  }
  const before = t.count;
  const redacted = redactJson(parsed, t);
  if (t.count === before) return s;
  return JSON.stringify(redacted) + (s.endsWith("\n") ? "\n" : "");
}

function redactMap(map: Record<string, string>, t: Tally): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) {
    const kind = secretKindForKey(k);
    out[k] = kind && !isPlaceholder(v) ? note(t, kind) : redactString(v, t);
  }
  return out;
}

/** A series label from Prometheus: untrusted like a log line, so secrets out, control characters and backticks folded, bounded. */
function metricLabel(v: string, max: number, t: Tally): string {
  const one = redactString(String(v), t).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029`]+/g, " ");
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/**
 * The metrics part with its untrusted text made safe: label names and values, the source and the
 * queries redacted, folded to one line and bounded; series and points capped as the schema caps them
 * (a bundle from --input or an older gatherer may not have been parsed). Samples are numbers and
 * Prometheus's value strings, kept as they are.
 */
function redactMetrics(m: BundleMetrics, t: Tally): BundleMetrics {
  return {
    ...m,
    source: metricLabel(m.source, METRICS_LIMITS.sourceLength, t),
    series: m.series.slice(0, METRICS_LIMITS.series).map((s) => {
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.labels).slice(0, METRICS_LIMITS.labelsPerSeries)) {
        labels[metricLabel(k, METRICS_LIMITS.labelNameLength, t)] = metricLabel(v, METRICS_LIMITS.labelValueLength, t);
      }
      return {
        ...s,
        query: redactString(s.query, t).slice(0, METRICS_LIMITS.queryLength),
        labels,
        values: s.values.slice(-METRICS_LIMITS.pointsPerSeries),
      };
    }),
  };
}

/**
 * Redact every text an evidence bundle carries: logs, previous logs, every string in events, the pod
 * (secret-named env values, any embedded secret, the last-applied-configuration annotation), the same for
 * the workload, its revisions, sibling pods, node, HPA and InferenceService, and the alert's labels and
 * annotations, and the metrics part's labels, source and queries. Pure; returns a new bundle marked `redacted: true`.
 */
export function redactBundle(bundle: EvidenceBundle): { bundle: EvidenceBundle; count: number; kinds: Record<string, number> } {
  const t: Tally = { count: 0, kinds: {} };
  const out: EvidenceBundle = {
    ...bundle,
    alert: {
      ...bundle.alert,
      labels: redactMap(bundle.alert.labels, t),
      annotations: redactMap(bundle.alert.annotations, t),
      ...(bundle.alert.generatorURL !== undefined ? { generatorURL: redactString(bundle.alert.generatorURL, t) } : {}),
    },
    events: bundle.events.map((e) => redactRecord(e, t)),
    errors: bundle.errors.map((e) => ({ ...e, message: redactString(e.message, t) })),
    redacted: true,
  };
  if (bundle.pod) out.pod = redactRecord(bundle.pod, t);
  // The neighbourhood carries pod templates too (revisions, sibling pods, the InferenceService's spec).
  if (bundle.workload) {
    out.workload = {
      ...bundle.workload,
      object: redactRecord(bundle.workload.object, t),
      revisions: bundle.workload.revisions.map((r) => redactRecord(r, t)),
    };
  }
  if (bundle.siblings) out.siblings = bundle.siblings.map((p) => redactRecord(p, t));
  if (bundle.node) out.node = redactRecord(bundle.node, t);
  if (bundle.hpa) out.hpa = redactRecord(bundle.hpa, t);
  if (bundle.inferenceService) out.inferenceService = redactRecord(bundle.inferenceService, t);
  if (bundle.metrics) out.metrics = redactMetrics(bundle.metrics, t);
  if (bundle.logs !== undefined) out.logs = redactString(bundle.logs, t);
  if (bundle.previousLogs !== undefined) out.previousLogs = redactString(bundle.previousLogs, t);
  return { bundle: out, count: t.count, kinds: t.kinds };
}
