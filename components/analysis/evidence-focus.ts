"use client";

import { useEffect, useRef, type RefObject } from "react";

/**
 * Evidence quotes → the element that shows them. Each evidence source maps to a tab; inside a tab, log
 * lines are found by `data-line`, everything else (status lines, events, revision changes, neighbours,
 * metric lines) by `data-quote`: the text the element shows, which a quote must contain or be contained
 * in (case and whitespace aside, so `"reason":"OOMKilled"` finds the pretty-printed `"reason": "OOMKilled",`).
 * A new tab joins by adding its source to SOURCE_TABS and `data-quote` to its rows.
 */

/** The tab each evidence source opens (a source without an entry has nothing to jump to). */
export const SOURCE_TABS: Partial<Record<string, string>> = {
  logs: "logs",
  previousLogs: "previousLogs",
  events: "events",
  status: "status",
  metrics: "metrics",
  changes: "changes",
  neighbourhood: "neighbourhood",
};

/** A jump to one piece of evidence; `n` changes on every click so the same quote can be found again. */
export interface EvidenceFocus {
  tab: string;
  line?: number;
  text?: string;
  n: number;
}

/** Tailwind classes for quotable elements: amber when cited, outlined when jumped to. */
export const QUOTE_CLASS = "data-[evidence=true]:bg-amber-500/20 data-[focused=true]:outline data-[focused=true]:outline-2 data-[focused=true]:outline-amber-500";

const squash = (s: string) => s.toLowerCase().replace(/\s+/g, "");
/** Reverse matches (the element's text inside the quote) need this much text, so "True" matches nothing. */
const MIN_REVERSE = 12;

/** The parts of a quote to look for: split at ellipses, surrounding quotes kept (they are JSON). */
function segments(quote: string): string[] {
  return quote
    .split(/…|\.\.\./)
    .map(squash)
    .filter((s) => s.length >= 3);
}

/**
 * How well an element's quotable text matches a quote: 2 when it contains the quote (every segment), 1 when
 * the quote contains it, 0 when unrelated.
 */
export function quoteScore(elementText: string, quote: string): 0 | 1 | 2 {
  const hay = squash(elementText);
  const parts = segments(quote);
  if (!hay || parts.length === 0) return 0;
  if (parts.every((p) => hay.includes(p))) return 2;
  return hay.length >= MIN_REVERSE && parts.some((p) => p.includes(hay)) ? 1 : 0;
}

/** The index of the best match for a quote (earliest full match, else the longest contained text); -1 if none. */
export function bestQuoteMatch(texts: readonly string[], quote: string): number {
  let best = -1;
  let bestScore = 0;
  texts.forEach((t, i) => {
    const score = quoteScore(t, quote);
    if (score > bestScore || (score === 1 && bestScore === 1 && t.length > (texts[best] ?? "").length)) [best, bestScore] = [i, score];
  });
  return best;
}

/**
 * Marks the `data-quote` elements inside `container` that any cited quote matches (`data-evidence`), and
 * outlines (`data-focused`) the one the focus quotes, scrolling to it once per jump. Runs after every render.
 */
export function useQuoteFocus(container: RefObject<HTMLElement | null>, cited: readonly string[], focus: EvidenceFocus | undefined) {
  const scrolled = useRef<number>(undefined);
  useEffect(() => {
    const root = container.current;
    if (!root) return;
    const nodes = [...root.querySelectorAll<HTMLElement>("[data-quote]")];
    const texts = nodes.map((n) => n.dataset.quote ?? "");
    for (const n of nodes) {
      delete n.dataset.evidence;
      delete n.dataset.focused;
    }
    for (const q of cited) {
      const i = bestQuoteMatch(texts, q);
      const node = nodes[i];
      if (node) node.dataset.evidence = "true";
    }
    if (!focus?.text) return;
    const node = nodes[bestQuoteMatch(texts, focus.text)];
    if (!node) return;
    node.dataset.focused = "true";
    if (scrolled.current === focus.n) return;
    scrolled.current = focus.n;
    node.scrollIntoView({ block: "center" });
  });
}
