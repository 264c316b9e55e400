# syntax=docker/dockerfile:1
# Two stages: `build` installs every dependency (TypeScript, native toolchain for better-sqlite3) and compiles
# to dist/; the runtime image carries only dist/, production node_modules and the entry point.

FROM node:20-bookworm-slim AS build
# better-sqlite3 normally downloads a prebuilt binary; the toolchain is the fallback when none matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The whole context (see .dockerignore): the workspaces in package.json (bridges/*) must be present for npm ci.
COPY . .
# Install scripts run explicitly instead of through npm ci's lifecycle, so the image does not depend on the npm
# version's install-script policy: the one native addon the server needs, then the TypeScript build.
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && npm rebuild better-sqlite3 \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
# glibc's malloc: one arena for all threads, and free memory at its top given back (as `npm start` does;
# README "Memory").
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=1 \
    MALLOC_TRIM_THRESHOLD_=131072 \
    SYNAPSE_CONFIG_PATH=/data/homeserver.yaml
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# node_modules links the native-crypto stand-in from packages/ (and the workspaces from bridges/): keep the targets.
COPY --from=build /app/packages ./packages
COPY docker/entrypoint.sh docker/listen-on-all-interfaces.mjs ./docker/
# /data holds the config, signing key, SQLite database and media; a new named volume inherits this ownership.
RUN mkdir -p /data && chown node:node /data && chmod 0755 /app/docker/entrypoint.sh
USER node
VOLUME ["/data"]
EXPOSE 8008 8448
# /health answers on every listener; node is the only tool in the slim image that speaks HTTP.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8008/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/app/docker/entrypoint.sh"]
