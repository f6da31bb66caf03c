import { loadConfig } from "@/lib/config";
import { getAlertSource } from "@/lib/alerts";
import { AlertDetail } from "@/components/alerts/alert-detail";

export const dynamic = "force-dynamic";

async function loadAlert(fingerprint: string) {
  const result = await getAlertSource(loadConfig()).listAlerts();
  return { alert: result.alerts.find((a) => a.fingerprint === fingerprint), errors: result.errors, readAt: Date.now() };
}

export default async function AlertPage({ params }: { params: Promise<{ fingerprint: string }> }) {
  const { fingerprint } = await params;
  const { alert, errors, readAt } = await loadAlert(fingerprint);
  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <AlertDetail fingerprint={fingerprint} alert={alert} errors={errors} now={readAt} />
    </main>
  );
}
