import { describe, expect, it } from "vitest";
import { parseSearchQuery, splitHighlights, toFts5Query, toTsQuery } from "@/lib/store/search";

describe("the history search's query language", () => {
  it("quotes every word: unquoted words are prefixes, quoted text a phrase, punctuation a separator", () => {
    const terms = parseSearchQuery('vllm-7d9f OOMKilled "CUDA out of memory" NEAR( * pod:x');
    expect(terms).toEqual([
      { words: ["vllm", "7d9f"], prefix: true },
      { words: ["oomkilled"], prefix: true },
      { words: ["cuda", "out", "of", "memory"], prefix: false },
      { words: ["near"], prefix: true },
      { words: ["pod", "x"], prefix: true },
    ]);
    expect(toFts5Query(terms)).toBe('"vllm 7d9f" * AND "oomkilled" * AND "cuda out of memory" AND "near" * AND "pod x" *');
    expect(toTsQuery(terms)).toBe("('vllm' <-> '7d9f':*) & 'oomkilled':* & ('cuda' <-> 'out' <-> 'of' <-> 'memory') & 'near':* & ('pod' <-> 'x':*)");
  });

  it("yields no terms for punctuation only, and treats an unclosed quote as a phrase to the end", () => {
    for (const q of ['"', "*", "()", ":* & | !", "''", ""]) expect(parseSearchQuery(q)).toEqual([]);
    expect(parseSearchQuery('oom "exit code 137')).toEqual([
      { words: ["oom"], prefix: true },
      { words: ["exit", "code", "137"], prefix: false },
    ]);
  });

  it("bounds the query: 200 characters, 20 words", () => {
    expect(() => parseSearchQuery("a".repeat(201))).toThrow(/at most 200/);
    expect(() => parseSearchQuery("a-".repeat(21))).toThrow(/21 words/);
    expect(parseSearchQuery("a-".repeat(20))).toHaveLength(1);
  });

  it("splits a snippet at its markers into text parts, dropping stray markers", () => {
    expect(splitHighlights("Reason: \u0002OOMKilled\u0003 exit \u0002137\u0003")).toEqual([
      { text: "Reason: ", hit: false },
      { text: "OOMKilled", hit: true },
      { text: " exit ", hit: false },
      { text: "137", hit: true },
    ]);
    expect(splitHighlights("a\u0003b\u0002\u0002c")).toEqual([
      { text: "ab", hit: false },
      { text: "c", hit: true },
    ]);
  });
});
