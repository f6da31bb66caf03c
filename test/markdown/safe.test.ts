import { describe, expect, test } from "vitest";
import { micromark } from "micromark";
import { codeSpan, cut, escapeCell, escapeMarkdown, fence, fenceFor, mapMarkdownLines, mapOutsideCodeSpans, markdownLink, openFence, safeUrl, stripControls } from "@/lib/markdown/safe";

describe("safe markdown", () => {
  test("escapeMarkdown and codeSpan", () => {
    expect(escapeMarkdown("a < b && c > d")).toBe("a &lt; b &amp;&amp; c &gt; d");
    expect(escapeMarkdown("GEMINI_API_KEY _x_ *y*")).toBe("GEMINI_API_KEY \\_x\\_ \\*y\\*");
    expect(codeSpan("a ` b")).toBe("``a ` b``");
    expect(codeSpan("`edge`")).toBe("`` `edge` ``");
    expect(micromark(codeSpan("x ``` y ` z"))).toBe("<p><code>x ``` y ` z</code></p>");
  });

  test("fence is longer than any backtick run inside", () => {
    expect(fence("a ```` b")).toMatch(/^`{5}text\n/);
    expect(fence("plain")).toMatch(/^```text\n/);
    expect(fenceFor("``")).toBe("```");
    const inner = "```\n<script>alert(1)</script>\n```";
    expect(micromark(`${fence(inner)}\nafter`)).toBe(`<pre><code class="language-text">${inner.replace(/</g, "&lt;").replace(/>/g, "&gt;")}\n</code></pre>\n<p>after</p>`);
  });

  test("openFence names the fence a cut left open, honouring its length and character", () => {
    expect(openFence("a\n````js\nx\n```\n")).toBe("````");
    expect(openFence("~~~\nx\n~~~")).toBeUndefined();
    expect(openFence("```\nx\n```")).toBeUndefined();
  });

  test("cut, cells, controls and URLs", () => {
    expect(cut("abcdef", 4)).toBe("abc…");
    expect(cut("abc", 4)).toBe("abc");
    expect(escapeCell("a|b\n<c>")).toBe("a\\|b &lt;c&gt;");
    expect(stripControls("\x1b[31mred\x1b[0m\r\nx\x07")).toBe("red\nx");
    expect(safeUrl("javascript:alert(1)")).toBeUndefined();
    expect(safeUrl("not a url")).toBeUndefined();
    expect(markdownLink("q", "http://prom:9090/graph?g0.expr=up")).toBe("[q](<http://prom:9090/graph?g0.expr=up>)");
    expect(markdownLink("q", "data:text/html,x")).toBeUndefined();
  });
});

describe("markdown lines", () => {
  test("mapMarkdownLines tells prose from fence openings and code, closing lines included", () => {
    const md = "a\n````\n```\nb\n````\nc\n~~~\nd";
    const kinds: string[] = [];
    mapMarkdownLines(md, (line, kind) => {
      kinds.push(`${kind}:${line}`);
      return line;
    });
    expect(kinds).toEqual(["prose:a", "fence:````", "code:```", "code:b", "code:````", "prose:c", "fence:~~~", "code:d"]);
    expect(openFence(md)).toBe("~~~");
  });

  test("mapOutsideCodeSpans leaves code spans alone and treats an unclosed run as text", () => {
    const upper = (s: string) => s.toUpperCase();
    expect(mapOutsideCodeSpans("a `b` c ``d ` e`` f", upper)).toBe("A `b` C ``d ` e`` F");
    expect(mapOutsideCodeSpans("a ``b` c", upper)).toBe("A ``B` C");
  });
});
