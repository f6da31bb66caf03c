import { safeNextPath } from "@/lib/auth/authenticate";

export const dynamic = "force-dynamic";

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const next = safeNextPath(typeof sp.next === "string" ? sp.next : undefined);
  const error = sp.error === "1";
  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <h1 className="mb-1 text-lg font-semibold">Sign in to the triage console</h1>
      <p className="mb-4 text-sm text-slate-500">Paste the console access token (AUTH_TOKEN) your team shares.</p>
      {error && (
        <p role="alert" className="mb-3 rounded bg-red-50 p-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200">
          That token is not valid. Check it with whoever configured AUTH_TOKEN.
        </p>
      )}
      <form method="post" action="/api/auth/signin" className="space-y-3">
        <input type="hidden" name="next" value={next} />
        <label className="block text-sm">
          Your name (for the audit log)
          <input name="name" autoComplete="name" className="mt-1 w-full rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-950" />
        </label>
        <label className="block text-sm">
          Access token
          <input name="token" type="password" required autoComplete="current-password" className="mt-1 w-full rounded border border-slate-300 px-2 py-1 dark:border-slate-700 dark:bg-slate-950" />
        </label>
        <button type="submit" className="w-full rounded bg-slate-900 px-3 py-1.5 text-sm font-medium text-white dark:bg-slate-100 dark:text-slate-900">
          Sign in
        </button>
      </form>
    </main>
  );
}
