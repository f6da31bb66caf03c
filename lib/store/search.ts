import { AppError } from "@/lib/errors";

/**
 * The history search's query language, kept deliberately small so that no user text ever reaches the
 * engines' own query syntax: a query is split into words (runs of letters and digits, the tokens
 * SQLite's unicode61 tokenizer and migration 010's PostgreSQL document both index), every word is
 * quoted, and operators (`NEAR(`, `OR`, `*`, `:`, `&`, `!`) are just separators. Unquoted words match
 * as word prefixes (`oom` finds OOMKilled); a "quoted phrase" matches its words exactly and in order.
 * All terms must match. Pure functions, the same on both engines, so they are tested once.
 */

/** Longest query accepted, in characters. */
export const SEARCH_MAX_CHARS = 200;
/** Most words a query may hold (the words of phrases included). */
export const SEARCH_MAX_WORDS = 20;
/** A match counts half as much every this many days of age (bm25 / ts_rank divided by 1 + age/this). */
export const RECENCY_DAYS = 30;

/** Snippet markers: ASCII STX/ETX, which the index strips from the text it stores. */
export const HIT_START = "\u0002";
export const HIT_END = "\u0003";

export interface SearchTerm {
  /** Lowercased words, in order: one for a plain word, several for a phrase or a word like vllm-7d9f. */
  words: string[];
  /** Whether the last word matches as a prefix. */
  prefix: boolean;
}

const WORD = /[\p{L}\p{N}]+/gu;

function wordsOf(text: string): string[] {
  return (text.match(WORD) ?? []).map((w) => w.toLowerCase());
}

/**
 * Split a search box's text into terms. A term with no letters or digits (`"`, `*`, `NEAR(`'s
 * bracket) is dropped, so a query of punctuation only yields no terms (and matches nothing).
 * @throws AppError unprocessable when the text is longer than 200 characters or has more than 20 words.
 */
export function parseSearchQuery(q: string): SearchTerm[] {
  if (q.length > SEARCH_MAX_CHARS) {
    throw new AppError("unprocessable", `Search is too long (${q.length} characters; at most ${SEARCH_MAX_CHARS}).`, {
      hint: "Search for the distinctive part: a pod name, an error message, a cause.",
    });
  }
  const terms: SearchTerm[] = [];
  // Quoted phrases first ("..." or an unclosed " to the end), the plain words between them.
  const parts = q.split('"');
  parts.forEach((part, i) => {
    const quoted = i % 2 === 1;
    if (quoted) {
      const words = wordsOf(part);
      if (words.length) terms.push({ words, prefix: false });
      return;
    }
    for (const chunk of part.split(/\s+/)) {
      const words = wordsOf(chunk);
      if (words.length) terms.push({ words, prefix: true });
    }
  });
  const count = terms.reduce((n, t) => n + t.words.length, 0);
  if (count > SEARCH_MAX_WORDS) {
    throw new AppError("unprocessable", `Search has ${count} words; at most ${SEARCH_MAX_WORDS} are allowed.`, {
      hint: "Leave out common words; a pod name like vllm-7d9f counts as two words.",
    });
  }
  return terms;
}

/** The terms as an FTS5 MATCH expression: every term a quoted string (`"a b"` is a phrase, `*` after it a prefix), ANDed. */
export function toFts5Query(terms: readonly SearchTerm[]): string {
  return terms.map((t) => `"${t.words.join(" ")}"${t.prefix ? " *" : ""}`).join(" AND ");
}

/** The terms as to_tsquery('simple', …) text: words quoted as lexemes, a phrase joined by <->, a prefix marked :*, terms ANDed. */
export function toTsQuery(terms: readonly SearchTerm[]): string {
  return terms
    .map((t) => {
      const last = t.words.length - 1;
      const lexemes = t.words.map((w, i) => `'${w}'${t.prefix && i === last ? ":*" : ""}`);
      return lexemes.length > 1 ? `(${lexemes.join(" <-> ")})` : (lexemes[0] ?? "");
    })
    .join(" & ");
}

/** A piece of a snippet: text, and whether it is a matched word. */
export interface HighlightPart {
  text: string;
  hit: boolean;
}

/** A snippet with HIT_START/HIT_END markers as parts to render as text; a stray or unbalanced marker is dropped. */
export function splitHighlights(snippet: string): HighlightPart[] {
  const out: HighlightPart[] = [];
  let hit = false;
  let buf = "";
  const flush = () => {
    if (!buf) return;
    const prev = out[out.length - 1];
    if (prev && prev.hit === hit) prev.text += buf;
    else out.push({ text: buf, hit });
    buf = "";
  };
  for (const ch of snippet) {
    if (ch === HIT_START || ch === HIT_END) {
      flush();
      hit = ch === HIT_START;
    } else buf += ch;
  }
  flush();
  return out;
}
