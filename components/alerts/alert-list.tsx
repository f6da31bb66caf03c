"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { preload } from "react-dom";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { alertListUrl, type AlertListResponse } from "@/lib/alerts/api";
import { countAlerts, countChanges, groupAlerts, parseGroupBy, type GroupBy } from "@/lib/alerts/group";
import { Button } from "@/components/ui/button";
import { AlertFilterBar } from "@/components/alerts/alert-filter-bar";
import { AlertGroupSection } from "@/components/alerts/alert-group-section";
import { alertHref, type AlertAnalysisSummary } from "@/components/alerts/alert-row";
import {
  COLLAPSED_KEY,
  HISTORY_KEY,
  HISTORY_SIZE,
  addChipFilter,
  labelSuggestions,
  listKeyAction,
  moveRow,
  parseHideSuppressed,
  parseSortBy,
  pushHistory,
  readStoredFlags,
  readStoredList,
  setFlag,
  sortGroups,
  visibleAlerts,
  type SortBy,
} from "@/components/alerts/list-view";
import { ShortcutsHelp } from "@/components/alerts/shortcuts-help";
import { useStoredString } from "@/components/alerts/use-stored";
import { SourceErrors } from "@/components/alerts/source-errors";
import { useAlertList } from "@/components/alerts/use-alert-list";
import { isApiError } from "@/lib/api-client";
import { useNow } from "@/components/alerts/use-now";

const FIRST_GROUPS = 50;
const EXPANDED_GROUPS = 5;

const ROW = '[data-testid="alert-row"]';

/**
 * The live alert list, with Karma's habits: chips filter, groups stay as the user left them, keyboard
 * shortcuts (`?` lists them), filter history and suggestions, and a stale marker when a refresh failed. While the pointer or focus is inside the list, refreshes are held back (with an
 * "N updates — apply" button) so rows never move under the user's cursor.
 */
export function AlertList({ analyses: given }: { analyses?: Record<string, AlertAnalysisSummary> }) {
  const searchParams = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const filter = searchParams.get("filter") ?? "";
  const group = parseGroupBy(searchParams.get("group"));
  const sort = parseSortBy(searchParams.get("sort"));
  const hideSuppressed = parseHideSuppressed(searchParams.get("suppressed"));
  // Server-rendered as <link rel=preload>: the browser fetches the list while the page's JavaScript loads.
  preload(alertListUrl(filter), { as: "fetch", crossOrigin: "anonymous" });
  const query = useAlertList(filter);
  // A fresh answer carries alerts younger than the last tick; never show them as firing for 0s.
  const now = Math.max(useNow(), query.dataUpdatedAt);

  const [frozen, setFrozen] = useState<{ filter: string; data: AlertListResponse } | null>(null);
  const [groupLimit, setGroupLimit] = useState(FIRST_GROUPS);
  const listRef = useRef<HTMLDivElement>(null);
  const pointerInside = useRef(false);

  const live = query.data;
  const shown = frozen?.filter === filter ? frozen.data : live;
  const pending = useMemo(() => (frozen?.filter === filter && live && frozen.data !== live ? countChanges(frozen.data.alerts, live.alerts) : 0), [frozen, live, filter]);
  const groups = useMemo(() => (shown ? sortGroups(groupAlerts(visibleAlerts(shown.alerts, hideSuppressed), group), sort) : []), [shown, group, sort, hideSuppressed]);
  const hiddenSuppressed = hideSuppressed && shown ? shown.alerts.length - groups.reduce((n, g) => n + g.alerts.length, 0) : 0;

  const [flagsRaw, setFlagsRaw] = useStoredString(COLLAPSED_KEY);
  const flags = useMemo(() => readStoredFlags(flagsRaw), [flagsRaw]);
  const [historyRaw, setHistoryRaw] = useStoredString(HISTORY_KEY);
  const history = useMemo(() => readStoredList(historyRaw, HISTORY_SIZE), [historyRaw]);
  // Suggestions cost a pass over every label: only once the user goes to the filter box.
  const [wantSuggestions, setWantSuggestions] = useState(false);
  const suggestions = useMemo(() => {
    if (!wantSuggestions) return history;
    const labels = labelSuggestions(live?.alerts ?? []);
    return [...history, ...labels.filter((l) => !history.includes(l))];
  }, [wantSuggestions, history, live]);
  const [helpOpen, setHelpOpen] = useState(false);
  // Analysis states change while alerts stay put, so they always come from the newest answer.
  const analyses = given ?? live?.analyses;
  const totals = useMemo(() => countAlerts(shown?.alerts ?? []), [shown]);
  // Held still, rows keep their places but show their current state, so a silence just set shows at once.
  const current = useMemo(() => (live && shown !== live ? new Map(live.alerts.map((a) => [a.fingerprint, a])) : undefined), [live, shown]);

  const hold = () => {
    if (live && frozen?.filter !== filter) setFrozen({ filter, data: live });
  };
  const releaseUnlessInside = (next: EventTarget | null) => {
    const el = listRef.current;
    const focusInside = el && next instanceof Node ? el.contains(next) : false;
    if (!pointerInside.current && !focusInside) setFrozen(null);
  };

  const setParams = (changes: Record<string, string>) => {
    const p = new URLSearchParams(searchParams.toString());
    for (const [k, v] of Object.entries(changes)) {
      if (v && !(k === "group" && v === "alertname") && !(k === "sort" && v === "severity")) p.set(k, v);
      else p.delete(k);
    }
    const qs = p.toString();
    setFrozen(null);
    setGroupLimit(FIRST_GROUPS);
    router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
  };

  const applyFilter = (f: string) => {
    if (f) setHistoryRaw(JSON.stringify(pushHistory(history, f)));
    setParams({ filter: f });
  };
  const onChip = (name: string, value: string, exclude: boolean) => applyFilter(addChipFilter(filter, name, value, exclude));

  const onKey = useCallback(
    (e: KeyboardEvent) => {
      const target = e.target instanceof HTMLElement ? e.target : null;
      // A modal (the silence dialog) owns the keyboard while it is open.
      if (e.defaultPrevented || target?.closest('dialog, [aria-modal="true"]')) return;
      const action = listKeyAction({ key: e.key, altKey: e.altKey, ctrlKey: e.ctrlKey, metaKey: e.metaKey, target });
      if (!action) return;
      const active = document.activeElement;
      const row = active instanceof HTMLElement ? active.closest<HTMLElement>(ROW) : null;
      if (action === "focusFilter") {
        e.preventDefault();
        document.getElementById("alert-filter")?.focus();
      } else if (action === "next" || action === "previous") {
        const rows = [...(listRef.current?.querySelectorAll<HTMLElement>(ROW) ?? [])];
        const next = rows[moveRow(row ? rows.indexOf(row) : -1, rows.length, action)];
        if (!next) return;
        e.preventDefault();
        next.focus();
        next.scrollIntoView({ block: "nearest" });
      } else if (action === "open") {
        // Enter on a link or button inside the row does what it says; on the row itself it opens the alert.
        if (!row || active !== row || !row.dataset.fingerprint) return;
        e.preventDefault();
        router.push(alertHref(row.dataset.fingerprint));
      } else if (action === "analyze") {
        const button = row?.querySelector<HTMLButtonElement>('[data-testid="row-analyze"]');
        if (!button) return;
        e.preventDefault();
        button.click();
      } else if (action === "help") {
        e.preventDefault();
        setHelpOpen((o) => !o);
      } else {
        setHelpOpen(false);
      }
    },
    [router],
  );
  useEffect(() => {
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [onKey]);

  const badFilter = isApiError(query.error) && query.error.status === 422 ? query.error : undefined;
  // TanStack Query keeps the last answer when a refresh fails: say it is old rather than pass it off as live.
  const stale = !!query.error && !badFilter && !!live;

  return (
    <div className="space-y-4">
      <AlertFilterBar
        filter={filter}
        group={group}
        sort={sort}
        hideSuppressed={hideSuppressed}
        suggestions={suggestions}
        error={badFilter}
        onFilter={applyFilter}
        onFocusFilter={() => setWantSuggestions(true)}
        onGroup={(g: GroupBy) => setParams({ group: g })}
        onSort={(o: SortBy) => setParams({ sort: o })}
        onHideSuppressed={(h) => setParams({ suppressed: h ? "hide" : "" })}
      />
      {helpOpen && <ShortcutsHelp onClose={() => setHelpOpen(false)} />}

      {query.error && !badFilter && (
        <div role="alert" data-testid={stale ? "alerts-stale" : "alerts-error"} className="rounded-lg border border-red-300 bg-red-50 px-4 py-3 text-sm text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-300">
          {stale ? `Stale: the last refresh failed, so these are the alerts as of ${new Date(query.dataUpdatedAt).toLocaleTimeString()}. ` : "Could not load alerts: "}
          {query.error.message}. {isApiError(query.error) ? query.error.hint : "Check that the console is running."}
        </div>
      )}
      {shown && <SourceErrors errors={shown.errors} />}

      {query.isPending && !badFilter && <p className="text-sm text-slate-500">Loading alerts…</p>}

      <div
        ref={listRef}
        data-testid="alert-groups"
        className="space-y-3"
        onPointerEnter={() => {
          pointerInside.current = true;
          hold();
        }}
        onPointerLeave={() => {
          pointerInside.current = false;
          releaseUnlessInside(typeof document === "undefined" ? null : document.activeElement);
        }}
        onFocus={hold}
        onBlur={(e) => releaseUnlessInside(e.relatedTarget)}
      >
        {shown && (
          <div className="sticky top-0 z-10 flex flex-wrap items-center gap-3 bg-slate-50/95 py-1 text-sm text-slate-600 dark:bg-slate-950/95 dark:text-slate-400" aria-live="polite">
            <span data-testid="alert-total">
              {totals.total} alert{totals.total === 1 ? "" : "s"} in {groups.length} group{groups.length === 1 ? "" : "s"}
              {totals.suppressed > 0 && ` (${totals.active} active, ${totals.suppressed} suppressed)`}
              {hiddenSuppressed > 0 && `, ${hiddenSuppressed} silenced or inhibited hidden`}
            </span>
            <span data-testid="last-updated" data-stale={stale || undefined} className={stale ? "text-xs font-medium text-red-700 dark:text-red-400" : "text-xs"} suppressHydrationWarning>
              {stale ? "stale · " : ""}updated {new Date(query.dataUpdatedAt).toLocaleTimeString()}
            </span>
            {query.isFetching && <span className="text-xs">refreshing…</span>}
            <Button size="sm" variant="ghost" aria-keyshortcuts="?" onClick={() => setHelpOpen((o) => !o)}>
              Shortcuts (?)
            </Button>
            {pending > 0 && (
              <Button size="sm" variant="outline" className="border-sky-500 text-sky-800 dark:text-sky-300" data-testid="apply-updates" onClick={() => live && setFrozen({ filter, data: live })}>
                {pending} update{pending === 1 ? "" : "s"} — apply
              </Button>
            )}
          </div>
        )}

        {shown && shown.alerts.length === 0 && (
          <div data-testid="empty-state" className="rounded-lg border border-dashed border-slate-300 px-4 py-10 text-center text-slate-600 dark:border-slate-700 dark:text-slate-400">
            {filter ? (
              <>
                No alerts match <code className="font-mono">{filter}</code>.
              </>
            ) : shown.errors.length ? (
              "No alerts from the Alertmanagers that answered."
            ) : (
              "No alerts are firing. All quiet."
            )}
          </div>
        )}

        {groups.slice(0, groupLimit).map((g, i) => {
          const id = `${group}:${g.key}`;
          return (
            <AlertGroupSection
              key={id}
              group={g}
              now={now}
              expanded={flags[id] ?? i < EXPANDED_GROUPS}
              onToggle={(open) => setFlagsRaw(JSON.stringify(setFlag(flags, id, open)))}
              analyses={analyses}
              silences={live?.silences}
              alertmanagerUrls={live?.alertmanagerUrls}
              current={current}
              onChip={onChip}
            />
          );
        })}
        {groups.length > groupLimit && (
          <Button variant="outline" onClick={() => setGroupLimit((l) => l + FIRST_GROUPS)}>
            Show {Math.min(FIRST_GROUPS, groups.length - groupLimit)} more groups ({groups.length - groupLimit} hidden)
          </Button>
        )}
      </div>
    </div>
  );
}
