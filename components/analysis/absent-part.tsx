import type { EvidenceBundle } from "@/lib/analysis/api";

type Part = EvidenceBundle["errors"][number]["part"];

/** Why a part of the evidence is missing: the gatherer's own sentences for it, else the fallback. */
export function AbsentPart({ bundle, parts, fallback }: { bundle: EvidenceBundle; parts: Part[]; fallback: string }) {
  const errors = bundle.errors.filter((e) => parts.includes(e.part));
  if (errors.length === 0) return <p className="p-3 text-sm text-slate-500">{fallback}</p>;
  return (
    <ul className="space-y-1 p-3 text-sm text-amber-800 dark:text-amber-200" data-testid="absent-part">
      {errors.map((e, i) => (
        <li key={i}>
          ⚠ Not gathered ({e.part}
          {e.code !== undefined ? `, ${e.code}` : ""}): {e.message}
        </li>
      ))}
    </ul>
  );
}
