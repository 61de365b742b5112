# syntax=docker/dockerfile:1
# Not built on the development machines (no Docker engine there); see README.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends git openssh-client tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    MANIFEST_REPO_PATH=/data/manifest-repo
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The web UI's templates and style sheet: dist/ui reads them at run time (htmx is in node_modules).
COPY src/ui/templates ./src/ui/templates
COPY src/ui/static ./src/ui/static
COPY package.json ./
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Liveness only: /readyz turns 503 while the git server is unreachable, which is no reason to
# restart the container (orchestrators probe /readyz to take the replica out of rotation).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/server.js"]
