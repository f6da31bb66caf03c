import { reportSchema, type Report } from "@/lib/analysis/types";
import { evidenceBundleSchema, type EvidenceBundle } from "@/lib/cluster/bundle";

/** A report and bundle shaped like the pipeline's, for issue-builder and filer tests. */
export function sampleReport(overrides: Partial<Report> = {}): Report {
  return reportSchema.parse({
    source: "gemini",
    model: "gemini-3.8-flash",
    summary: "The model server was OOMKilled while loading weights.",
    hypotheses: [
      {
        title: "Container memory limit below model size",
        category: "oom_killed",
        likelihood: "high",
        explanation: "Exit code 137 with reason OOMKilled right after loading.",
        evidence: [{ source: "previousLogs", line: 2, text: "Loading weights", verified: true }],
      },
    ],
    impact: "Inference requests to web fail.",
    immediateActions: [{ step: "Raise the memory limit", command: "kubectl -n prod set resources deploy/web --limits=memory=16Gi" }],
    prevention: ["Alert on memory working set at 90% of the limit"],
    generatedAt: "2026-11-20T10:05:00Z",
    ...overrides,
  });
}

export const SAMPLE_MARKDOWN = [
  "## Summary",
  "",
  "The model server was OOMKilled while loading weights.",
  "",
  "## Immediate actions",
  "",
  "1. Raise the memory limit",
  "",
  "```sh",
  "kubectl -n prod set resources deploy/web --limits=memory=16Gi",
  "```",
].join("\n");

export function sampleBundle(overrides: Partial<EvidenceBundle> = {}): EvidenceBundle {
  return evidenceBundleSchema.parse({
    alert: {
      labels: { alertname: "KubePodCrashLooping", namespace: "prod", pod: "web-1", severity: "critical", cluster: "gke-prod", container: "web" },
      annotations: { summary: "prod/web-1 crash looping" },
      fingerprint: "c6eadffa33fcdf37",
      startsAt: "2026-11-20T09:58:03.157Z",
      generatorURL: "http://prometheus:9090/graph?g0.expr=kube_pod_container_status_restarts_total",
    },
    target: { cluster: "gke-prod", namespace: "prod", pod: "web-1", container: "web" },
    pod: null,
    events: [
      {
        metadata: { name: "web-1.1", namespace: "prod", creationTimestamp: "2026-11-20T09:50:00Z" },
        involvedObject: { kind: "Pod", namespace: "prod", name: "web-1" },
        reason: "Pulled",
        message: "Container image already present on machine",
        count: 3,
        type: "Normal",
        lastTimestamp: "2026-11-20T10:03:00Z",
      },
      {
        metadata: { name: "web-1.2", namespace: "prod", creationTimestamp: "2026-11-20T09:58:10Z" },
        involvedObject: { kind: "Pod", namespace: "prod", name: "web-1" },
        reason: "BackOff",
        message: "Back-off restarting failed container web in pod web-1_prod(5f0c)",
        count: 12,
        type: "Warning",
        lastTimestamp: "2026-11-20T10:03:40Z",
      },
    ],
    logs: "starting server\nlistening on :8080\n",
    previousLogs: "starting server\nLoading weights\nKilled\n",
    container: "web",
    tailLines: 200,
    errors: [],
    gatheredAt: "2026-11-20T10:04:00Z",
    redacted: true,
    ...overrides,
  });
}

export interface ParsedMarkdown {
  /** Fenced blocks in order: the fence and the lines inside. */
  blocks: Array<{ fence: string; content: string }>;
  /** Every line outside fences, with inline code spans removed. */
  prose: string;
  /** Lines outside fences, verbatim, with their index in the document. */
  outsideLines: Array<{ index: number; text: string }>;
  unclosed: boolean;
}

/** A CommonMark-style fence scanner (the rules GitHub applies), independent of the builder's own code. */
export function parseMarkdown(md: string): ParsedMarkdown {
  const blocks: ParsedMarkdown["blocks"] = [];
  const outsideLines: ParsedMarkdown["outsideLines"] = [];
  let open: { fence: string; lines: string[] } | undefined;
  md.split("\n").forEach((line, index) => {
    if (open) {
      const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line)?.[1];
      if (close && close[0] === open.fence[0] && close.length >= open.fence.length) {
        blocks.push({ fence: open.fence, content: open.lines.join("\n") });
        open = undefined;
      } else {
        open.lines.push(line);
      }
      return;
    }
    const start = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (start?.[1] && !(start[1][0] === "`" && (start[2] ?? "").includes("`"))) {
      open = { fence: start[1], lines: [] };
      return;
    }
    outsideLines.push({ index, text: line });
  });
  const prose = outsideLines.map((l) => l.text.replace(/(`+)(?:(?!\1)[\s\S])*?\1(?!`)/g, "")).join("\n");
  return { blocks, prose, outsideLines, unclosed: open !== undefined };
}

/** Mentions and issue references GitHub would link in prose. */
export function linkableReferences(prose: string): string[] {
  const mentions = [...prose.matchAll(/(?:^|[^A-Za-z0-9_])(@[A-Za-z0-9][A-Za-z0-9-]*)/g)].map((m) => m[1] ?? "");
  const refs = [...prose.matchAll(/(?<!&)#\d+|\bGH-\d+/gi)].map((m) => m[0]);
  return [...mentions, ...refs];
}
