import type { z } from "zod";

/**
 * The one place that turns a schema's path and issue into words a person can act on: "Namespace is
 * missing." rather than "Invalid target.namespace: Invalid input: expected string, received undefined".
 * Programs still get the raw path and message in the error's details.
 */
const FIELD_WORDS: Record<string, string> = {
  "target.namespace": "Namespace",
  "target.pod": "Pod",
  "target.container": "Container",
  "target.cluster": "Cluster",
  "target.alertname": "Alert name",
  target: "Target (namespace and pod)",
  namespace: "Namespace",
  pod: "Pod",
  container: "Container",
  cluster: "Cluster",
  alertname: "Alert name",
  fingerprint: "Alert fingerprint",
  trigger: "Trigger",
  since: "Start of the time window",
  until: "End of the time window",
  cursor: "Page cursor",
  limit: "Page size",
  hours: "Hours",
  match: "Match mode",
  q: "Search",
  status: "Status",
  sources: "Alertmanagers",
  ack: "Acknowledge",
};

type Issue = z.core.$ZodIssue;

/** The field's name in words: from FIELD_WORDS, else its last path segment split into words. */
export function fieldWords(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "The request";
  const key = path.map(String).join(".");
  const known = FIELD_WORDS[key] ?? FIELD_WORDS[path.filter((p) => typeof p !== "number").map(String).join(".")];
  if (known) return known;
  const last = [...path].reverse().find((p) => typeof p !== "number") ?? path[path.length - 1];
  const words = String(last)
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .toLowerCase();
  const index = typeof path[path.length - 1] === "number" ? ` ${Number(path[path.length - 1]) + 1}` : "";
  return words.charAt(0).toUpperCase() + words.slice(1) + index;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** What is wrong, in words: "Namespace is missing.", "Pod is too long (at most 253 characters)." */
export function issueInWords(issue: Issue, data: unknown): string {
  const field = fieldWords(issue.path);
  switch (issue.code) {
    case "invalid_type":
      return valueAt(data, issue.path) === undefined ? `${field} is missing.` : `${field} must be ${article(issue.expected)}.`;
    case "too_small":
      if (issue.origin === "string") return Number(issue.minimum) <= 1 ? `${field} is missing.` : `${field} is too short (at least ${issue.minimum} characters).`;
      if (issue.origin === "array" || issue.origin === "set") return `${field} needs at least ${issue.minimum} item${Number(issue.minimum) === 1 ? "" : "s"}.`;
      return `${field} must be at least ${issue.minimum}.`;
    case "too_big":
      if (issue.origin === "string") return `${field} is too long (at most ${issue.maximum} characters).`;
      if (issue.origin === "array" || issue.origin === "set") return `${field} has too many items (at most ${issue.maximum}).`;
      return `${field} must be at most ${issue.maximum}.`;
    case "invalid_value":
      return `${field} must be one of: ${issue.values.map((v) => String(v)).join(", ")}.`;
    case "invalid_format":
      // A schema that explains its format (regex with a message) says it better than "invalid string".
      return issue.message && !/^Invalid/.test(issue.message) ? `${field} is not valid (${issue.message}).` : `${field} is not in the expected format.`;
    case "unrecognized_keys":
      return `${field} has unknown field${issue.keys.length === 1 ? "" : "s"}: ${issue.keys.join(", ")}.`;
    default:
      return issue.path.length === 0 ? `${capitalize(issue.message)}.` : `${field} is not valid: ${issue.message}.`;
  }
}

function article(type: string): string {
  if (type === "int") return "a whole number";
  if (type === "array") return "a list";
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
