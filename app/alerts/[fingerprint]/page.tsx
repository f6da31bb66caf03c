import type { Metadata } from "next";
import { cache } from "react";
import { notFound } from "next/navigation";
import { getServices } from "@/lib/server/services";
import { AlertDetail } from "@/components/alerts/alert-detail";
import { AnalysisPanel } from "@/components/analysis/analysis-panel";
import { AlertEpisodes } from "./episodes";

export const dynamic = "force-dynamic";

// One read of the alert per request, shared by the title and the page.
const pageState = cache(async (fingerprint: string, analyze: boolean) => (await getServices()).triage.alertPageState(fingerprint.slice(0, 128), analyze));

/** The tab title names the alert and its pod, so several open alerts can be told apart. */
export async function generateMetadata({ params }: { params: Promise<{ fingerprint: string }> }): Promise<Metadata> {
  const { fingerprint } = await params;
  const labels = (await pageState(fingerprint, false)).alert?.labels;
  const where = labels && [labels.namespace, labels.pod].filter(Boolean).join("/");
  const name = labels ? [labels.alertname ?? "Alert", where].filter(Boolean).join(" · ") : `Alert ${fingerprint.slice(0, 16)}`;
  return { title: `${name} · Incident Triage Console` };
}

export default async function AlertPage({
  params,
  searchParams,
}: {
  params: Promise<{ fingerprint: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { fingerprint } = await params;
  const { analyze } = await searchParams;
  const s = await getServices();
  const [state, history] = await Promise.all([pageState(fingerprint, analyze === "1"), s.triage.alertHistory(fingerprint.slice(0, 128))]);
  // Unknown everywhere (and every Alertmanager answered): say so, with a way back, instead of an empty page.
  const known = state.alert || state.latestId || history.episodes.length > 0 || history.issue;
  const askFeedback = await s.triage.feedbackWanted(history, state.latestId);
  if (!known && state.errors.length === 0) notFound();
  const panel = (state.alert || state.latestId) && (
    <AnalysisPanel input={{ fingerprint: state.fingerprint }} latestId={state.latestId} autoStart={state.autoStart} askFeedback={askFeedback} />
  );
  return (
    <main className="mx-auto max-w-7xl space-y-4 p-4 sm:p-6">
      <AlertDetail fingerprint={state.fingerprint} alert={state.alert} errors={state.errors} now={state.readAt} alertmanagerUrl={state.alertmanagerUrl}>
        {panel}
      </AlertDetail>
      {!state.alert && panel}
      <AlertEpisodes history={history} />
    </main>
  );
}
