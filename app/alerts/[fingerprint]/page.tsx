import { getServices } from "@/lib/server/services";
import { AlertDetail } from "@/components/alerts/alert-detail";
import { AnalysisPanel } from "@/components/analysis/analysis-panel";

export const dynamic = "force-dynamic";

export default async function AlertPage({
  params,
  searchParams,
}: {
  params: Promise<{ fingerprint: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { fingerprint } = await params;
  const { analyze } = await searchParams;
  const state = await (await getServices()).triage.alertPageState(fingerprint.slice(0, 128), analyze === "1");
  const panel = (state.alert || state.latestId) && (
    <AnalysisPanel input={{ fingerprint: state.fingerprint }} latestId={state.latestId} autoStart={state.autoStart} />
  );
  return (
    <main className="mx-auto max-w-7xl space-y-4 p-4 sm:p-6">
      <AlertDetail fingerprint={state.fingerprint} alert={state.alert} errors={state.errors} now={state.readAt}>
        {panel}
      </AlertDetail>
      {!state.alert && panel}
    </main>
  );
}
