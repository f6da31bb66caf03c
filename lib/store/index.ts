export { DEFAULT_LEASE_MS, openStore, Store, type IssueRegistry, type StoreOptions } from "@/lib/store/store";
export type { LockOptions } from "@/lib/store/locks";
export * from "@/lib/store/models";
