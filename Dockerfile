# syntax=docker/dockerfile:1
# The Incident Triage Console as a container: Next's standalone output on Node LTS, non-root.
#   docker build -t ghcr.io/acme/triage-console:0.1.0 .
# Node 24 LTS, the exact release the tests, benches and CI run on (PROJECT_NODE_VERSION in
# scripts/node-env.sh; bump both together). All stages share one base, so the build stage's check that
# the native SQLite module loads is made with the Node and C library the runtime has.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No compiler toolchain: better-sqlite3 13 ships prebuilt binaries (prebuilds/<os>-<arch>.node) and has no
# install script of its own, but npm still runs `node-gyp rebuild` for its binding.gyp when it installs from
# a lockfile (a no-op here that needs python3 and make, and fetches Node's headers). --ignore-scripts skips
# it; `npm rebuild` runs the other install scripts the lockfile lists (test/deploy/docker.test.ts keeps
# that list and package-lock.json's `hasInstallScript` packages in step).
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && npm rebuild esbuild protobufjs

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# public/ may be empty, and git does not keep empty folders.
RUN mkdir -p public && npx next build
# Output tracing copies better-sqlite3's JS and the prebuilt binary of every OS for this CPU (darwin, linux,
# linuxmusl, win32; about 2 MB each) into the standalone folder. Keep only the one this image loads
# (glibc Linux, this architecture) and no C sources, and stop here if it is missing or does not load.
RUN cd .next/standalone/node_modules/better-sqlite3 \
 && binary="prebuilds/linux-$(node -p process.arch).node" \
 && test -f "$binary" \
 && find prebuilds -type f ! -path "$binary" -delete \
 && rm -rf build deps src binding.gyp \
 && test "$(find . -name '*.node')" = "./$binary" \
 && cd ../.. \
 && node -e "new (require('better-sqlite3'))(':memory:').close()"

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
# The application belongs to root and is read-only for the user that runs it (the Deployment also sets
# readOnlyRootFilesystem); the user writes only to /data, /tmp and .next/cache, the Deployment's mounts.
# test/deploy/image.test.ts lays these copies out and runs the result that way.
COPY --from=build /app/.next/standalone ./
COPY --from=build /app/.next/static ./.next/static
COPY --from=build /app/public ./public
# better-sqlite3 arrives with the standalone folder: its JS and the one prebuilt binary,
# prebuilds/linux-<arch>.node (pruned and checked in the build stage). Its SQLite and C++ sources stay out.
# Stamps each request with its TCP peer address, which AUTH_MODE=proxy checks against AUTH_TRUSTED_PROXIES.
COPY --from=build /app/scripts/peer-address.mjs ./scripts/peer-address.mjs
USER 10001:10001
EXPOSE 3000
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--import", "./scripts/peer-address.mjs", "server.js"]
