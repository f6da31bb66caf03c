import { z } from "zod";
import { alertSnapshotSchema } from "@/lib/alerts/snapshot";
import { AppError } from "@/lib/errors";
import { workflowInputsSchema } from "@/lib/github/dispatch";
import type { Job, JobKind, NewJob } from "@/lib/store";

/**
 * One payload schema per job kind: what enqueue() writes and what the worker parses before it calls the
 * kind's handler. A kind's payload changes here and nowhere else.
 */
export const jobPayloadSchemas = {
  /** Run one analysis. A webhook's job also carries the alert, so a lost analysis row can be written again. */
  analyze: z.object({
    analysisId: z.string().min(1).max(64),
    file: z.boolean().default(false),
    requestId: z.string().max(128).optional(),
    alert: alertSnapshotSchema.required({ fingerprint: true, startsAt: true }).optional(),
  }),
  /** Mark an alert's analyses resolved and comment on (maybe close) its issue. */
  resolve: z.object({ fingerprint: z.string().min(1).max(256), endsAt: z.string().max(64) }),
  /** File a finished analysis as a GitHub issue. */
  file_issue: z.object({ analysisId: z.string().min(1).max(64), user: z.string().max(256).default("webhook") }),
  /** Start the GitHub analysis workflow for one firing episode (WEBHOOK_MODE=dispatch). */
  dispatch: z.object({
    fingerprint: z.string().max(128),
    episode: z.string().max(64),
    inputs: workflowInputsSchema,
    requestId: z.string().max(128).optional(),
  }),
  /** Apply the retention policy. */
  prune: z.object({}),
  /** Post an engineer's feedback as a comment on the incident's issue. */
  feedback_comment: z.object({ feedbackId: z.string().min(1).max(64) }),
} satisfies Record<JobKind, z.ZodType>;

/** The parsed payload of a job of kind K, as its handler receives it. */
export type PayloadOf<K extends JobKind> = z.output<(typeof jobPayloadSchemas)[K]>;
/** The payload of a job of kind K as callers write it (defaults may be left out). */
export type PayloadInput<K extends JobKind> = z.input<(typeof jobPayloadSchemas)[K]>;

/** The schemas indexed so that a generic K keeps payload and handler types together. */
const schemas: { [K in JobKind]: z.ZodType<PayloadOf<K>, PayloadInput<K>> } = jobPayloadSchemas;

export interface JobContext {
  /** Aborted when the worker stops or loses the job's lease. */
  signal: AbortSignal;
}

/** The handler of one kind: it gets the payload already parsed against the kind's schema. */
export type JobHandler<K extends JobKind> = (payload: PayloadOf<K>, job: Job, ctx: JobContext) => Promise<void>;
export type JobHandlers = { [K in JobKind]: JobHandler<K> };

/** A job to enqueue, typed by kind: its payload is the kind's payload. */
export type TypedNewJob = { [K in JobKind]: Omit<NewJob, "kind" | "payload"> & { kind: K; payload: PayloadInput<K> } }[JobKind];

/** The options of an enqueue besides kind and payload. */
export type EnqueueOptions = Omit<NewJob, "kind" | "payload">;

/**
 * Parse a stored payload against its kind's schema.
 * @throws AppError unprocessable naming the first field that is wrong (a permanent job failure).
 */
export function parseJobPayload<K extends JobKind>(kind: K, payload: unknown): PayloadOf<K> {
  const parsed = schemas[kind].safeParse(payload);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
  throw new AppError("unprocessable", `The ${kind} job's payload does not match its schema (${where}${issue?.message ?? "wrong shape"}).`, {
    hint: "It was written by another version of the console or by hand; the alert's next notification, or a new click, queues a correct one.",
  });
}

/**
 * The job as the store takes it, its payload parsed (defaults filled in) against its kind's schema.
 * @throws AppError unprocessable when the payload does not match.
 */
export function checkedJob(job: TypedNewJob): NewJob {
  return { ...job, payload: parseJobPayload(job.kind, job.payload) };
}

/**
 * The kind's handler bound to this job's payload, parsed once against the kind's schema; undefined when
 * there is no handler for the kind. A generic K keeps payload and handler in step.
 * @throws AppError unprocessable when the payload does not match (the worker fails the job at once).
 */
export function bindJobHandler<K extends JobKind>(kind: K, handlers: Partial<JobHandlers>, job: Job): ((ctx: JobContext) => Promise<void>) | undefined {
  const handler: JobHandler<K> | undefined = handlers[kind];
  if (!handler) return undefined;
  const payload = parseJobPayload(kind, job.payload);
  return (ctx) => handler(payload, job, ctx);
}
