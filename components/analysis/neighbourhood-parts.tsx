"use client";

import { conditionLine, hpaLine, taintText, viewConditions, type ConditionView, type HpaView, type NodeView } from "@/lib/cluster/neighbourhood-view";
import { cn } from "@/lib/utils";
import { QUOTE_CLASS } from "./evidence-focus";

/** Conditions as a table, the troubled ones (pressure True, Ready not True, ...) highlighted. */
export function ConditionsTable({ caption, conditions }: { caption: string; conditions: ConditionView[] }) {
  if (conditions.length === 0) return <p className="text-xs text-slate-500">{caption}: none reported.</p>;
  return (
    <div tabIndex={0} className="overflow-x-auto">
    <table className="w-full text-left text-xs">
      <caption className="sr-only">{caption}</caption>
      <thead className="text-slate-500">
        <tr>
          <th className="p-1">Condition</th>
          <th className="p-1">Status</th>
          <th className="p-1">Reason</th>
          <th className="p-1">Message</th>
        </tr>
      </thead>
      <tbody>
        {conditions.map((c) => (
          <tr
            key={c.type}
            data-quote={conditionLine(c)}
            data-troubled={c.troubled || undefined}
            className={cn("border-t border-slate-200 align-top dark:border-slate-800", c.troubled && "bg-red-50 font-medium text-red-800 dark:bg-red-950/50 dark:text-red-200", QUOTE_CLASS)}
          >
            <td className="p-1">
              {c.troubled && <span aria-label="problem">⚠ </span>}
              {c.type}
            </td>
            <td className="p-1">{c.status}</td>
            <td className="p-1">{c.reason ?? ""}</td>
            <td className="min-w-40 break-words p-1">{c.message ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

/** The status conditions of any workload object, when it has some. */
export function ConditionList({ title, object }: { title: string; object: unknown }) {
  const conditions = viewConditions(object);
  if (conditions.length === 0) return null;
  return <ConditionsTable caption={title} conditions={conditions} />;
}

/** The node: its conditions, allocatable resources and taints. */
export function NodeSection({ node }: { node: NodeView }) {
  const pressure = node.conditions.filter((c) => c.troubled);
  return (
    <section aria-labelledby="nb-node" className="space-y-2">
      <h4 id="nb-node" className="font-semibold">
        Node {node.name}
        {pressure.length > 0 && <span className="ml-2 text-xs font-medium text-red-700 dark:text-red-300">{pressure.map((c) => c.type).join(", ")}</span>}
      </h4>
      {node.unschedulable && <p className="text-xs text-amber-800 dark:text-amber-200">Cordoned: the node accepts no new pods.</p>}
      <ConditionsTable caption={`Conditions of node ${node.name}`} conditions={node.conditions} />
      <div className="grid gap-2 text-xs sm:grid-cols-2">
        <div>
          <h5 className="font-medium text-slate-600 dark:text-slate-300">Allocatable</h5>
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 font-mono">
            {node.allocatable.map(([k, v]) => (
              <div key={k} className="contents">
                <dt className="text-slate-500">{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        </div>
        <div>
          <h5 className="font-medium text-slate-600 dark:text-slate-300">Taints</h5>
          {node.taints.length === 0 ? (
            <p className="text-slate-500">none</p>
          ) : (
            <ul className="font-mono">
              {node.taints.map((t) => (
                <li key={taintText(t)} data-quote={taintText(t)} className={cn(/pressure|unreachable|not-ready|unschedulable/.test(t.key) && "text-red-700 dark:text-red-300", QUOTE_CLASS)}>
                  {taintText(t)}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}

/** The HPA: current, desired, min and max replicas and its conditions. */
export function HpaSection({ hpa }: { hpa: HpaView }) {
  const atMax = hpa.max !== undefined && (hpa.desired ?? hpa.current ?? 0) >= hpa.max;
  const cells: Array<[string, number | undefined]> = [
    ["Current", hpa.current],
    ["Desired", hpa.desired],
    ["Min", hpa.min],
    ["Max", hpa.max],
  ];
  return (
    <section aria-labelledby="nb-hpa" className="space-y-2">
      <h4 id="nb-hpa" className="font-semibold">
        HorizontalPodAutoscaler {hpa.name}
        {atMax && <span className="ml-2 text-xs font-medium text-red-700 dark:text-red-300">at its maximum</span>}
      </h4>
      <table className="text-left text-xs">
        <caption className="sr-only">Replica counts of {hpa.name}</caption>
        <thead className="text-slate-500">
          <tr>{cells.map(([k]) => <th key={k} scope="col" className="px-2 py-1">{k}</th>)}</tr>
        </thead>
        <tbody>
          <tr data-quote={hpaLine(hpa)} className={QUOTE_CLASS}>
            {cells.map(([k, v]) => <td key={k} className="px-2 py-1 font-mono">{v ?? "?"}</td>)}
          </tr>
        </tbody>
      </table>
      <ConditionsTable caption={`Conditions of ${hpa.name}`} conditions={hpa.conditions} />
    </section>
  );
}
