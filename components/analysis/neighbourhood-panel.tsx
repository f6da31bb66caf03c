"use client";

import type { EvidenceBundle } from "@/lib/analysis/api";
import { replicaHealth, viewHpa, viewNode } from "@/lib/cluster/neighbourhood-view";
import { metaOf } from "@/lib/cluster/workload-view";
import { cn } from "@/lib/utils";
import { AbsentPart } from "./absent-part";
import { QUOTE_CLASS } from "./evidence-focus";
import { HpaSection, NodeSection } from "./neighbourhood-parts";

/** Who else is hurting: the owner's other replicas, the node the pod runs on, and the HPA scaling the workload. */
export function NeighbourhoodPanel({ bundle }: { bundle: EvidenceBundle }) {
  const targetPod = bundle.target?.pod ?? (bundle.pod ? metaOf(bundle.pod).name : undefined);
  const node = viewNode(bundle.node);
  const hpa = viewHpa(bundle.hpa);
  return (
    <div tabIndex={0} className="max-h-[70vh] space-y-4 overflow-auto p-3 text-sm" data-testid="neighbourhood-panel">
      <section aria-labelledby="nb-replicas" className="space-y-2">
        <h3 id="nb-replicas" className="font-semibold">
          Replicas{bundle.workload ? ` of ${bundle.workload.kind} ${bundle.workload.name}` : ""}
        </h3>
        {bundle.siblings ? (
          <SiblingsTable siblings={bundle.siblings} targetPod={targetPod} />
        ) : (
          <AbsentPart bundle={bundle} parts={["siblings"]} fallback="No sibling pods were gathered: the pod has no owning workload, or this analysis predates sibling gathering." />
        )}
      </section>
      <section aria-labelledby="nb-place" className="space-y-4">
        <h3 id="nb-place" className="font-semibold">
          Node and autoscaler
        </h3>
        {node ? (
          <NodeSection node={node} />
        ) : (
          <AbsentPart bundle={bundle} parts={["node"]} fallback="No node was gathered: the pod is not scheduled on one (Pending), or this analysis predates node gathering." />
        )}
        {hpa ? (
          <HpaSection hpa={hpa} />
        ) : (
          <AbsentPart bundle={bundle} parts={["hpa"]} fallback={`No HorizontalPodAutoscaler scales ${bundle.workload ? `${bundle.workload.kind} ${bundle.workload.name}` : "this pod's workload"}.`} />
        )}
      </section>
    </div>
  );
}

function SiblingsTable({ siblings, targetPod }: { siblings: Record<string, unknown>[]; targetPod: string | undefined }) {
  const health = replicaHealth(siblings, targetPod);
  if (health.total === 0) return <p className="text-slate-500">The owner has no pods right now.</p>;
  return (
    <>
      <p data-testid="replica-health" data-quote={health.line} className={cn("font-medium", health.unhealthy > 0 ? "text-red-700 dark:text-red-300" : "text-emerald-700 dark:text-emerald-300", QUOTE_CLASS)}>
        {health.line}
        {health.unhealthy > 0 && health.unhealthy < health.total ? " — a pod- or node-local cause is likelier than a shared one" : ""}
        {health.unhealthy > 1 && health.unhealthy === health.total ? " — all of them: a shared cause (rollout, dependency) is likelier" : ""}
      </p>
      <div tabIndex={0} className="overflow-x-auto">
      <table className="w-full text-left text-xs">
        <caption className="sr-only">Pods of the same owner</caption>
        <thead className="text-slate-500">
          <tr>
            <th scope="col" className="p-1">Pod</th>
            <th scope="col" className="p-1">Phase</th>
            <th scope="col" className="p-1">Ready</th>
            <th scope="col" className="p-1">Restarts</th>
            <th scope="col" className="p-1">Node</th>
            <th scope="col" className="p-1">Reason</th>
          </tr>
        </thead>
        <tbody>
          {health.rows.map((r) => (
            <tr
              key={r.name}
              data-quote={`${r.name} ${r.phase ?? ""} ${r.reason ?? ""}`}
              data-target={r.target || undefined}
              aria-current={r.target ? "true" : undefined}
              className={cn("border-t border-slate-200 align-top dark:border-slate-800", r.unhealthy && "text-red-800 dark:text-red-200", r.target && "bg-sky-50 font-semibold dark:bg-sky-950/50", QUOTE_CLASS)}
            >
              <td className="break-all p-1 font-mono">
                {r.name}
                {r.target && <span className="ml-1 font-sans text-sky-700 dark:text-sky-300">(this pod)</span>}
              </td>
              <td className="p-1">{r.phase ?? "?"}</td>
              <td className="p-1">{r.containers ? `${r.readyContainers}/${r.containers}` : r.ready ? "yes" : "no"}</td>
              <td className="p-1">{r.restarts}</td>
              <td className="break-all p-1 font-mono">{r.node ?? "(not scheduled)"}</td>
              <td className="p-1">{r.reason ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </>
  );
}
