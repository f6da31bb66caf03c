import type { EvidenceBundle } from "@/lib/cluster/bundle";

/**
 * Secret redaction: runs before logs, events, pod specs or alert text leave the process.
 *
 * Design rules, all load-bearing:
 * - Every pattern is single-line (`[ \t]` not `\s`, no `\n` in classes) and every quantifier is bounded,
 *   so a 100,000-line log is one linear scan per rule and the line count never changes.
 * - Specific token formats (GitHub, AWS, JWT, ...) run before the generic `key=value` rule, which then
 *   skips any value that already holds a marker: that ordering is what makes redaction idempotent.
 * - Markers are `[REDACTED:<kind>]`; the key, scheme, user and host around a secret stay visible.
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

const looksRandom = (v: string) => (v.length >= 8 && /\d/.test(v) && /[A-Za-z]/.test(v)) || v.length >= 20;

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
    re: /\b([a-z][a-z0-9+.-]{1,30}:\/\/)([^\s:/?#@"'<>[\]]{0,128}):([^\s/?#"'<>]{1,256})@(?=[A-Za-z0-9[])/gi,
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
    needles: ["--"],
    re: /(--(?:[a-z0-9]{1,20}-){0,4}(?:password|passwd|token|secret|api-key|apikey|access-key|secret-key|client-secret))([ \t]+|=)([^\s"'-][^\s"']{0,1023})/gi,
    replace: (t, _m, [flag = "", sep = "", value = ""]) => {
      const suffix = /(password|passwd|token|secret|api-?key|access-key|secret-key|client-secret)$/i.exec(flag)?.[1] ?? "secret";
      if (isPlaceholder(value)) return null;
      if (kindForSuffix(suffix) === "token" && /^\d+$/.test(value)) return null;
      return `${flag}${sep}${note(t, kindForSuffix(suffix))}`;
    },
  },
  {
    needles: ["pass", "pwd", "secret", "token", "key", "credential"],
    re: new RegExp(
      `(${KEY_SUFFIX_SOURCE})(["']?)([ \\t]*(?:=>|=|:)[ \\t]*)(?:"((?:[^"\\\\\\r\\n]|\\\\.){1,1024})"|'([^'\\r\\n]{1,1024})'|(\\$\\{[^}\\r\\n]{0,200}\\}|\\$\\([^)\\r\\n]{0,200}\\)|\\{\\{[^}\\r\\n]{0,200}\\}\\})|([^\\s"'\`,;&<>{}\\[\\]()|]{1,1024}))`,
      "gi",
    ),
    replace: (t, _m, [suffix = "", keyQuote = "", sep = "", dq, sq, template, bare], offset, input) => {
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
      return `${suffix}${keyQuote}${sep}${quote}${note(t, kind)}${quote}`;
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

/** Multi-line PEM blocks: every body line becomes a marker, so line numbers stay valid. */
function redactPemBlocks(text: string, t: Tally): string {
  if (!text.includes("PRIVATE KEY")) return text;
  const lines = text.split("\n");
  let changed = false;
  for (let i = 0; i < lines.length; i++) {
    if (!PEM_BEGIN.test(lines[i] ?? "")) continue;
    let redactedAny = false;
    let j = i + 1;
    for (; j < lines.length && j - i < 200; j++) {
      const line = lines[j] ?? "";
      if (PEM_END.test(line)) break;
      const m = PEM_BODY.exec(line);
      if (!m) {
        if (line.trim() === "" || line.includes(MARKER_PREFIX)) continue;
        break;
      }
      if (m[2]?.startsWith(MARKER_PREFIX)) continue;
      lines[j] = `${m[1]}${redactionMarker("private-key")}${m[3]}${m[4]}`;
      redactedAny = true;
    }
    if (redactedAny) {
      note(t, "private-key");
      changed = true;
    }
    i = j;
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
  let out = redactPemBlocks(text, t);
  for (const rule of rules) {
    if (!rule.needles.some((n) => lower.includes(n))) continue;
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

/**
 * Redact every text an evidence bundle carries: logs, previous logs, every string in events, the pod
 * (secret-named env values, any embedded secret, the last-applied-configuration annotation) and the
 * alert's labels and annotations. Pure; returns a new bundle marked `redacted: true`.
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
  if (bundle.logs !== undefined) out.logs = redactString(bundle.logs, t);
  if (bundle.previousLogs !== undefined) out.previousLogs = redactString(bundle.previousLogs, t);
  return { bundle: out, count: t.count, kinds: t.kinds };
}
