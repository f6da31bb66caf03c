"use client";

import { groupByOptions, type GroupBy } from "@/lib/alerts/group";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";

/** The filter box (Alertmanager matcher syntax) and the grouping switch; both live in the URL. */
export function AlertFilterBar({
  filter,
  group,
  error,
  onFilter,
  onGroup,
}: {
  filter: string;
  group: GroupBy;
  error?: { message: string; hint?: string };
  onFilter: (filter: string) => void;
  onGroup: (group: GroupBy) => void;
}) {
  return (
    <form
      role="search"
      className="flex flex-col gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        const v = new FormData(e.currentTarget).get("filter");
        onFilter(typeof v === "string" ? v.trim() : "");
      }}
    >
      <div className="flex flex-wrap items-center gap-2">
        <label htmlFor="alert-filter" className="sr-only">
          Filter (Alertmanager matchers)
        </label>
        <Input
          // Re-mount when the URL changes (back/forward) so the box shows the filter in effect.
          key={filter}
          id="alert-filter"
          name="filter"
          defaultValue={filter}
          placeholder={'Filter: severity="critical", namespace=~"ml-.*"'}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "alert-filter-error" : undefined}
          className="min-w-64 flex-1 font-mono"
          autoComplete="off"
          spellCheck={false}
        />
        <Button type="submit">Filter</Button>
        {filter && (
          <Button variant="ghost" onClick={() => onFilter("")}>
            Clear
          </Button>
        )}
        <label className="flex items-center gap-2 text-sm text-slate-600 dark:text-slate-400">
          Group by
          <Select name="group" aria-label="Group by" value={group} onChange={(e) => onGroup(groupByOptions.find((o) => o === e.target.value) ?? "alertname")}>
            {groupByOptions.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </Select>
        </label>
      </div>
      {error && (
        <p id="alert-filter-error" role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error.message} {error.hint}
        </p>
      )}
    </form>
  );
}
