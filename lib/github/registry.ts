/** Where the filer remembers which issue belongs to which alert fingerprint, and how it serialises filings. */

export interface IssueRef {
  number: number;
  url: string;
}

export interface IssueRegistry {
  /** Run fn while holding the per-fingerprint lock (across processes that share the store). */
  runExclusive<T>(fingerprint: string, fn: () => Promise<T>): Promise<T>;
  /** The issue last filed for this fingerprint, if any. */
  getIssue(fingerprint: string): Promise<IssueRef | undefined>;
  saveIssue(fingerprint: string, issue: IssueRef): Promise<void>;
}

/** An in-process registry for tests and the CLI: a promise-chain mutex per fingerprint, issues in a Map. */
export function createMemoryIssueRegistry(): IssueRegistry {
  const issues = new Map<string, IssueRef>();
  const tails = new Map<string, Promise<unknown>>();

  return {
    runExclusive<T>(fingerprint: string, fn: () => Promise<T>): Promise<T> {
      const previous = tails.get(fingerprint) ?? Promise.resolve();
      // A failed holder must not poison the lock for the next caller, hence the swallowed rejection.
      const run = previous.catch(() => undefined).then(fn);
      const tail = run.catch(() => undefined);
      tails.set(fingerprint, tail);
      void tail.then(() => {
        if (tails.get(fingerprint) === tail) tails.delete(fingerprint);
      });
      return run;
    },
    async getIssue(fingerprint) {
      const ref = issues.get(fingerprint);
      return ref ? { ...ref } : undefined;
    },
    async saveIssue(fingerprint, issue) {
      issues.set(fingerprint, { number: issue.number, url: issue.url });
    },
  };
}
