# syntax=docker/dockerfile:1
# The Incident Triage Console as a container: Next's standalone output on Node LTS, non-root.
#   docker build -t ghcr.io/acme/triage-console:0.1.0 .
# Node 24 LTS, the exact release the tests, benches and CI run on (PROJECT_NODE_VERSION in
# scripts/node-env.sh; bump both together). All stages share one base so the native SQLite module
# matches its Node ABI.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# public/ may be empty, and git does not keep empty folders.
RUN mkdir -p public && npx next build
# Output tracing copies better-sqlite3's JS and its compiled binary (not its C sources) into the
# standalone folder; stop here if a Next or better-sqlite3 upgrade ever changes that.
RUN test -f .next/standalone/node_modules/better-sqlite3/build/Release/better_sqlite3.node \
 && test -f .next/standalone/node_modules/better-sqlite3/lib/index.js \
 && test -f .next/standalone/node_modules/bindings/bindings.js \
 && test ! -e .next/standalone/node_modules/better-sqlite3/deps \
 && test ! -e .next/standalone/node_modules/better-sqlite3/src

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# HOSTNAME is what server.js binds to; HOST is what the console's configuration reads.
# AUTH_MODE=proxy makes an unconfigured container refuse every console request instead of serving
# it unauthenticated on 0.0.0.0: the deployment must supply AUTH_TRUSTED_PROXIES (the authenticating
# proxy's address, e.g. 127.0.0.1 for an oauth2-proxy sidecar) or AUTH_MODE=token with AUTH_TOKEN.
# WEBHOOK_BEARER_TOKEN, GEMINI_API_KEY and GITHUB_TOKEN come from secrets at run time, never the image.
ENV NODE_ENV=production \
    NEXT_TELEMETRY_DISABLED=1 \
    HOST=0.0.0.0 \
    HOSTNAME=0.0.0.0 \
    PORT=3000 \
    AUTH_MODE=proxy \
    DATABASE_URL=file:/data/triage.sqlite
RUN groupadd --system --gid 10001 triage \
 && useradd --system --uid 10001 --gid triage --no-create-home --shell /usr/sbin/nologin triage \
 && mkdir -p /data /app/.next/cache \
 && chown 10001:10001 /data /app/.next/cache
COPY --from=build --chown=10001:10001 /app/.next/standalone ./
COPY --from=build --chown=10001:10001 /app/.next/static ./.next/static
COPY --from=build --chown=10001:10001 /app/public ./public
# better-sqlite3 arrives with the standalone folder: its JS, bindings and the one compiled binary,
# build/Release/better_sqlite3.node (checked in the build stage). Its SQLite and C++ sources stay out.
# Stamps each request with its TCP peer address, which AUTH_MODE=proxy checks against AUTH_TRUSTED_PROXIES.
COPY --from=build --chown=10001:10001 /app/scripts/peer-address.mjs ./scripts/peer-address.mjs
USER 10001:10001
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "./scripts/peer-address.mjs", "server.js"]
