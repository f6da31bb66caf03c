import { describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { decodeGoString, filesFromVfsdata } from "@/bench/alertmanager-ui";

/** Bytes as vfsgen writes them: every byte a \x escape. */
const goBytes = (b: Buffer) => [...b].map((x) => `\\x${x.toString(16).padStart(2, "0")}`).join("");

describe("the Alertmanager UI unpacker used by the alerts bench", () => {
  it("decodes Go string literal escapes into the exact bytes", () => {
    expect(decodeGoString("\\x1f\\x8b\\x00\\xff")).toEqual(Buffer.from([0x1f, 0x8b, 0x00, 0xff]));
    expect(decodeGoString('a\\n\\t\\"\\\\\\101\\u00e9')).toEqual(Buffer.from('a\n\t"\\Aé', "utf8"));
    expect(() => decodeGoString("\\q")).toThrow(/unknown escape/);
  });

  it("takes the files under /static/ from vfsgen output, gunzipping the compressed ones", () => {
    const script = Buffer.from('!function(n){"use strict"}();\n'.repeat(50));
    const woff = Buffer.from([0x77, 0x4f, 0x46, 0x32, 0x00, 0x01]);
    const source = [
      "var Assets = func() http.FileSystem {",
      "\tfs := vfsgen۰FS{",
      '\t\t"/static": &vfsgen۰DirInfo{',
      '\t\t\tname:    "static",',
      "\t\t},",
      '\t\t"/static/script.js": &vfsgen۰CompressedFileInfo{',
      '\t\t\tname:             "script.js",',
      `\t\t\tuncompressedSize: ${script.length},`,
      "",
      `\t\t\tcompressedContent: []byte("${goBytes(gzipSync(script))}"),`,
      "\t\t},",
      '\t\t"/static/lib/fa/fonts/x.woff2": &vfsgen۰FileInfo{',
      '\t\t\tname:    "x.woff2",',
      `\t\t\tcontent: []byte("${goBytes(woff)}"),`,
      "\t\t},",
      '\t\t"/templates/default.tmpl": &vfsgen۰FileInfo{',
      '\t\t\tname:    "default.tmpl",',
      '\t\t\tcontent: []byte("\\x7b\\x7b"),',
      "\t\t},",
      "\t}",
    ].join("\n");
    const files = filesFromVfsdata(source);
    expect([...files.keys()].sort()).toEqual(["lib/fa/fonts/x.woff2", "script.js"]);
    expect(files.get("script.js")).toEqual(script);
    expect(files.get("lib/fa/fonts/x.woff2")).toEqual(woff);
  });
});
