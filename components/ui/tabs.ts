"use client";

/**
 * WAI-ARIA tabs pattern (automatic activation): Left/Right move to and select the previous/next tab (wrapping),
 * Home/End the first/last; only the selected tab is in the Tab order (roving tabindex). Returns the props for each
 * tab and for the panel, tied together with aria-controls/aria-labelledby.
 */
export function tabProps<T extends string>(base: string, ids: readonly T[], selected: T, onSelect: (t: T) => void) {
  const tabId = (t: T) => `${base}-tab-${t}`;
  const panelId = `${base}-panel`;
  const onKeyDown = (e: React.KeyboardEvent<HTMLElement>) => {
    const i = ids.indexOf(selected);
    const next =
      e.key === "ArrowRight" ? ids[(i + 1) % ids.length] : e.key === "ArrowLeft" ? ids[(i - 1 + ids.length) % ids.length] : e.key === "Home" ? ids[0] : e.key === "End" ? ids.at(-1) : undefined;
    if (next === undefined) return;
    e.preventDefault();
    onSelect(next);
    // The list re-renders with the new tab selected; move focus to it.
    (e.currentTarget.closest("[role=tablist]")?.querySelector(`#${CSS.escape(tabId(next))}`) as HTMLElement | null)?.focus();
  };
  return {
    tab: (t: T) => ({
      id: tabId(t),
      role: "tab" as const,
      type: "button" as const,
      "aria-selected": selected === t,
      "aria-controls": panelId,
      tabIndex: selected === t ? 0 : -1,
      onClick: () => onSelect(t),
      onKeyDown,
    }),
    panel: { id: panelId, role: "tabpanel" as const, "aria-labelledby": tabId(selected), tabIndex: 0 },
  };
}
