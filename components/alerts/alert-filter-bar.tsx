"use client";

import { groupByOptions, type GroupBy } from "@/lib/alerts/group";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { sortOptions, type SortBy } from "@/components/alerts/list-view";

/**
 * The filter box (Alertmanager matcher syntax, with the last filters and the labels present as
 * suggestions), the grouping and sort switches and the silenced/inhibited toggle; all live in the URL.
 */
export function AlertFilterBar({
  filter,
  group,
  sort,
  hideSuppressed,
  suggestions = [],
  error,
  onFilter,
  onFocusFilter,
  onGroup,
  onSort,
  onHideSuppressed,
}: {
  filter: string;
  group: GroupBy;
  sort: SortBy;
  hideSuppressed: boolean;
  /** History first, then `label="value"` from the alerts shown; offered by the browser as the user types. */
  suggestions?: readonly string[];
  error?: { message: string; hint?: string };
  onFilter: (filter: string) => void;
  onFocusFilter?: () => void;
  onGroup: (group: GroupBy) => void;
  onSort: (sort: SortBy) => void;
  onHideSuppressed: (hide: boolean) => void;
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
          list="alert-filter-suggestions"
          aria-keyshortcuts="/"
          onFocus={onFocusFilter}
          // Esc leaves the box so j/k work again, as in Karma.
          onKeyDown={(e) => {
            if (e.key === "Escape") e.currentTarget.blur();
          }}
        />
        <datalist id="alert-filter-suggestions" data-testid="filter-suggestions">
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
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
        <label className="flex items-center gap-2 text-sm text-slate-600 dark:text-slate-400">
          Sort by
          <Select name="sort" aria-label="Sort by" value={sort} onChange={(e) => onSort(sortOptions.find((o) => o === e.target.value) ?? "severity")}>
            {sortOptions.map((o) => (
              <option key={o} value={o}>
                {o === "start" ? "start (newest)" : o}
              </option>
            ))}
          </Select>
        </label>
        <label className="flex items-center gap-2 text-sm text-slate-600 dark:text-slate-400">
          <input type="checkbox" name="hide-suppressed" checked={hideSuppressed} onChange={(e) => onHideSuppressed(e.target.checked)} />
          Hide silenced and inhibited
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
