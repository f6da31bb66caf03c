"use client";

import { useCallback, useSyncExternalStore } from "react";

const LOCAL_EVENT = "triage:local-storage";

function subscribe(onChange: () => void) {
  window.addEventListener("storage", onChange);
  window.addEventListener(LOCAL_EVENT, onChange);
  return () => {
    window.removeEventListener("storage", onChange);
    window.removeEventListener(LOCAL_EVENT, onChange);
  };
}

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

/**
 * One localStorage entry as a raw string (null on the server, before hydration, or when storage is
 * blocked), kept in step across tabs; the setter ignores a full or blocked storage.
 */
export function useStoredString(key: string): [string | null, (value: string) => void] {
  const raw = useSyncExternalStore(subscribe, () => read(key), () => null);
  const set = useCallback(
    (value: string) => {
      try {
        window.localStorage.setItem(key, value);
      } catch {
        return;
      }
      window.dispatchEvent(new Event(LOCAL_EVENT));
    },
    [key],
  );
  return [raw, set];
}
