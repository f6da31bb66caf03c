import type { EvidenceBundle } from "@/lib/cluster/bundle";
import type { Report } from "@/lib/analysis/types";

/**
 * Whether a report is worth a GitHub issue. An alert for a pod that no longer exists, where nothing in
 * the evidence shows a failure, is not: the issue would say "no known failure signature" about a pod
 * nobody can look at. The report carries the verdict (`fileable`, `notFileableReason`), so the File issue
 * button, the issue route and the webhook's automatic filing all refuse with the same sentence.
 */

function foundSomething(report: Report): boolean {
  return !report.insufficientEvidence && report.hypotheses.some((h) => h.category !== "unknown" && h.likelihood !== "low" && h.evidence.some((e) => e.verified));
}

/** The report with `fileable` and `notFileableReason` set from the bundle it was made from. */
export function withFilingVerdict(report: Report, bundle: Pick<EvidenceBundle, "pod" | "gonePod" | "target" | "alert">): Report {
  const { fileable: _f, notFileableReason: _r, ...rest } = report;
  const alertPod = bundle.gonePod ?? { namespace: bundle.target?.namespace ?? bundle.alert.labels.namespace, pod: bundle.target?.pod ?? bundle.alert.labels.pod };
  const id = `${alertPod.namespace ?? "<namespace>"}/${alertPod.pod ?? "<pod>"}`;
  if (bundle.pod === null && !foundSomething(report)) {
    return { ...rest, fileable: false, notFileableReason: `The pod ${id} was not found when the evidence was gathered, and nothing gathered shows a failure: an issue would have nothing to say. Check the pod name, or analyze one of its owner's current pods.` };
  }
  if (bundle.gonePod && !foundSomething(report)) {
    const now = bundle.target?.pod ? `${bundle.target.namespace ?? alertPod.namespace ?? ""}/${bundle.target.pod}` : "its replacement";
    return { ...rest, fileable: false, notFileableReason: `The alert's pod ${id} no longer exists, and ${now}, the newest pod of its owner, shows no failure: there is nothing to file.` };
  }
  return rest;
}

/** Why filing this report is refused, or undefined when it may be filed. */
export function filingRefusal(report: Pick<Report, "fileable" | "notFileableReason">): string | undefined {
  return report.fileable === false ? (report.notFileableReason ?? "This analysis found nothing to file.") : undefined;
}
