"use client";

import { z } from "zod";
import { summarizePodStatus } from "@/lib/analysis/pod-summary";
import { viewPod, type ContainerSpecView, type ProbeView } from "@/lib/cluster/view";
import { cn } from "@/lib/utils";
import { QUOTE_CLASS } from "./evidence-focus";

const MAX_ARGS = 40;
const argvSchema = z.object({
  spec: z.object({ containers: z.array(z.object({ name: z.string(), command: z.array(z.string()).optional().catch(undefined), args: z.array(z.string()).optional().catch(undefined) })) }),
});

/** `--flag value` pairs and lone words of a container's command and args, for the spec table. */
function argvOf(pod: unknown, container: string | undefined): string[] {
  const c = argvSchema.safeParse(pod).data?.spec.containers.find((x) => x.name === container);
  const argv = [...(c?.command ?? []), ...(c?.args ?? [])];
  const out: string[] = [];
  for (let i = 0; i < argv.length && out.length < MAX_ARGS; i++) {
    const tok = argv[i] ?? "";
    const next = argv[i + 1];
    if (/^--?[A-Za-z]/.test(tok) && !tok.includes("=") && next !== undefined && !/^--?[A-Za-z]/.test(next)) {
      out.push(`${tok} ${next}`);
      i++;
    } else out.push(tok);
  }
  return out;
}

function probeText(p: ProbeView): string | undefined {
  if (!p) return undefined;
  const how = p.httpGet ? `GET ${p.httpGet.path ?? "/"} :${p.httpGet.port ?? "?"}` : p.tcpSocket ? `TCP :${p.tcpSocket.port ?? "?"}` : p.grpc ? `gRPC :${p.grpc.port ?? "?"}` : p.exec ? `exec ${(p.exec.command ?? []).join(" ")}` : "probe";
  return `${how} · delay ${p.initialDelaySeconds ?? 0}s · every ${p.periodSeconds ?? 10}s · timeout ${p.timeoutSeconds ?? 1}s · ${p.failureThreshold ?? 3} failures`;
}

const quantities = (q: Record<string, string | number> | undefined) => (q && Object.keys(q).length ? Object.entries(q).map(([k, v]) => `${k}=${v}`).join(" ") : "none");

function ContainerSpec({ pod, spec }: { pod: unknown; spec: ContainerSpecView }) {
  const args = argvOf(pod, spec.name);
  const rows: Array<[string, string | undefined]> = [
    ["Image", spec.image],
    ["Requests", quantities(spec.resources?.requests)],
    ["Limits", quantities(spec.resources?.limits)],
    ["Startup probe", probeText(spec.startupProbe)],
    ["Liveness probe", probeText(spec.livenessProbe)],
    ["Readiness probe", probeText(spec.readinessProbe)],
  ];
  return (
    <section aria-labelledby={`spec-${spec.name ?? ""}`} className="space-y-1">
      <h4 id={`spec-${spec.name ?? ""}`} className="font-medium">
        Container {spec.name}
      </h4>
      <table className="w-full text-left text-xs">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k} className="border-t border-slate-200 align-top dark:border-slate-800">
              <th scope="row" className="w-32 p-1 font-normal text-slate-500">
                {k}
              </th>
              <td data-quote={v ? `${k}: ${v}` : undefined} className={cn("break-all p-1 font-mono", QUOTE_CLASS)}>
                {v ?? "none"}
              </td>
            </tr>
          ))}
          <tr className="border-t border-slate-200 align-top dark:border-slate-800">
            <th scope="row" className="p-1 font-normal text-slate-500">
              Args
            </th>
            <td className="p-1">
              {args.length === 0 ? (
                <span className="text-slate-500">none (the image&apos;s entrypoint)</span>
              ) : (
                <ul className="flex flex-wrap gap-1 font-mono">
                  {args.map((a, i) => (
                    <li key={i} data-quote={a} className={cn("rounded bg-slate-100 px-1 dark:bg-slate-800", QUOTE_CLASS)}>
                      {a}
                    </li>
                  ))}
                </ul>
              )}
            </td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}

/** The Pod tab: each container's spec (image, requests, limits, probes, args), the status summary and the raw status. */
export function PodTab({ pod }: { pod: Record<string, unknown> | null | undefined }) {
  if (!pod) return <p className="p-3 text-sm text-slate-500">The pod was not found: it was deleted, evicted and replaced, or never existed.</p>;
  const view = viewPod(pod);
  const specs = [...(view?.spec?.initContainers ?? []), ...(view?.spec?.containers ?? [])];
  const summary = summarizePodStatus(pod).split("\n");
  const raw = JSON.stringify(pod.status ?? {}, null, 2).split("\n");
  return (
    <div tabIndex={0} className="max-h-[70vh] space-y-4 overflow-auto p-3 text-sm" data-testid="pod-tab">
      <section aria-labelledby="pod-spec" className="space-y-3">
        <h3 id="pod-spec" className="font-semibold">
          Spec
        </h3>
        {specs.length === 0 ? <p className="text-slate-500">The pod object carries no container spec.</p> : specs.map((s, i) => <ContainerSpec key={s.name ?? i} pod={pod} spec={s} />)}
      </section>
      <section aria-labelledby="pod-status" className="space-y-2">
        <h3 id="pod-status" className="font-semibold">
          Status
        </h3>
        <ul className="space-y-0.5 font-mono text-xs">
          {summary.map((line, i) => (
            <li key={i} data-quote={line} className={cn("whitespace-pre-wrap break-words rounded px-1", QUOTE_CLASS)}>
              {line}
            </li>
          ))}
        </ul>
        <h4 className="pt-2 text-xs font-medium text-slate-500">status, as the API returned it</h4>
        <pre className="text-[11px] leading-4">
          {raw.map((line, i) => (
            <div key={i} data-quote={line} className={QUOTE_CLASS}>
              {line}
            </div>
          ))}
        </pre>
      </section>
    </div>
  );
}
