import type { Metadata } from "next";
import Link from "next/link";
import { headers } from "next/headers";
import "./globals.css";
import { loadConfig } from "@/lib/config";
import { QueryProvider } from "@/components/providers/query-provider";
import { Badge } from "@/components/ui/badge";
import { NavLink } from "@/components/ui/nav-link";

// The Demo badge and the proxy's CSP nonce are per process and per request, never baked in at build time.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: "Incident Triage Console",
  description: "Live Alertmanager alerts with grounded root-cause analysis for ML model-serving pods.",
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const { demo, auth } = loadConfig();
  // Set by proxy.ts after authentication (never by the client); shown so people know who the audit log will name.
  const rawUser = (await headers()).get("x-triage-user");
  const user = rawUser ? decodeURIComponent(rawUser) : undefined;
  return (
    <html lang="en">
      <body className="min-h-screen">
        <a
          href="#main-content"
          className="sr-only rounded bg-white px-3 py-2 text-sm font-medium text-slate-900 shadow focus:not-sr-only focus:fixed focus:left-2 focus:top-2 focus:z-[60] dark:bg-slate-900 dark:text-slate-100"
        >
          Skip to content
        </a>
        <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
          <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-1 px-4 py-2 sm:px-6">
            <Link href="/" className="font-semibold">
              Incident Triage
            </Link>
            <nav aria-label="Main" className="flex flex-wrap items-center gap-1">
              <NavLink href="/">Alerts</NavLink>
              <NavLink href="/analyses">Analyses</NavLink>
              <NavLink href="/silences">Silences</NavLink>
              <NavLink href="/accuracy">Accuracy</NavLink>
            </nav>
            {demo && (
              <Badge variant="demo" data-testid="demo-badge" title="Built-in demo environment: no real cluster, Alertmanager, Gemini or GitHub">
                Demo
              </Badge>
            )}
            {user && (
              <div className="ml-auto flex min-w-0 items-center gap-2 text-xs text-slate-600 dark:text-slate-400">
                <span className="sr-only">Signed in as</span>
                <span data-testid="current-user" className="truncate">
                  {user}
                </span>
                {auth.mode === "token" && (
                  <form method="post" action="/api/auth/signout">
                    <button type="submit" className="underline">
                      Sign out
                    </button>
                  </form>
                )}
              </div>
            )}
          </div>
        </header>
        <QueryProvider>
          {/* The skip link's target; each page's own <main> is inside. */}
          <div id="main-content" tabIndex={-1} className="min-w-0 outline-none">
            {children}
          </div>
        </QueryProvider>
      </body>
    </html>
  );
}
