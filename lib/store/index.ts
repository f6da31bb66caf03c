export { backupDatabase, DEFAULT_LEASE_MS, openStore, Store, type BackupResult, type IssueRegistry, type StoreOptions } from "@/lib/store/store";
export { storageFailure } from "@/lib/store/sqlite";
export type { LockOptions } from "@/lib/store/locks";
export * from "@/lib/store/models";
export type { CaseFilter, FeedbackCaseRow, NewFeedback } from "@/lib/store/feedback";
