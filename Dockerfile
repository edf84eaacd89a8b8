# One parametrised image per service: docker build --build-arg SERVICE=ingestion -t keel/ingestion .
# Services run their TypeScript sources through tsx (no separate build step keeps images and
# sources identical); native addons (better-sqlite3) compile in the build stage.
ARG NODE_IMAGE=node:20.20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY libs/ libs/
COPY apps/ apps/
# Every workspace's manifest, or npm ci refuses the lockfile.
COPY tools/local-platform/package.json tools/local-platform/package.json
COPY tools/e2e/package.json tools/e2e/package.json
COPY tools/cli/package.json tools/cli/package.json
RUN npm ci --omit=dev

# The reviewer console (apps/review-console, React + Vite) that human-review serves at `/`: built
# here with the dev dependencies, only its static dist goes into the image. Other services' images
# skip the build and get an empty directory.
FROM ${NODE_IMAGE} AS console
ARG SERVICE
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY libs/ libs/
COPY apps/ apps/
COPY tools/local-platform/package.json tools/local-platform/package.json
COPY tools/e2e/package.json tools/e2e/package.json
COPY tools/cli/package.json tools/cli/package.json
COPY tools/scripts/console-build.mjs tools/scripts/console-build.mjs
# Vite and its bundler ship prebuilt binaries: no install scripts (and no native compile) needed.
RUN if [ "$SERVICE" = "human-review" ]; then \
      npm ci --ignore-scripts --no-audit --no-fund && node tools/scripts/console-build.mjs --force; \
    else \
      mkdir -p apps/review-console/dist; \
    fi

FROM ${NODE_IMAGE}
ARG SERVICE
ENV NODE_ENV=production KEEL_SERVICE=${SERVICE} KEEL_DATA_DIR=/app/.keel/data
# Services bind 127.0.0.1 unless HOST is set (safe on a laptop). In a container loopback is reachable
# from inside it only: probes, peers and port publishing come in on the container's own address.
ENV HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY package.json tsconfig.base.json ./
COPY proto/ proto/
COPY libs/ libs/
COPY apps/ apps/
COPY --from=console /app/apps/review-console/dist apps/review-console/dist
USER 10001
# Exec form so SIGTERM reaches node and the service drains before exit.
CMD ["sh", "-c", "exec node --import tsx apps/${KEEL_SERVICE}/src/main.ts"]
