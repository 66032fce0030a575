# The Todo chatbot's Next.js frontend, standalone output, for the todo-chatbot chart.
# Goes in the app's repository as frontend/Dockerfile, next to package.json and package-lock.json;
# copy frontend.dockerignore to frontend/.dockerignore too. next.config.js (or .mjs/.ts) must set
#   output: "standalone"
# so that `next build` writes .next/standalone/server.js with only the node_modules it needs.
#
#   docker build --build-arg NEXT_PUBLIC_API_URL=http://localhost:8000 -t todo-chatbot/frontend:1.0.0 frontend/
#
# Build arguments:
#   NODE_IMAGE           the base of every stage (node:20-bookworm-slim); pin a digest in CI
#   NEXT_PUBLIC_API_URL  the backend's URL as the browser reaches it. Next.js inlines NEXT_PUBLIC_*
#                        into the JavaScript bundle at build time: changing it later means a new image
#
# Stages: `deps` installs exactly package-lock.json; `build` runs `next build`; `runner` is a fresh
# base with the standalone server, its static files and public/: no npm cache, no dev dependencies,
# no sources. Not built by podguard's tests (npm's registry is unreachable there); its structure is
# checked by tests/integration/app_frontend_dockerfile.py. The reasons are in images/app/README.md.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
ARG NEXT_PUBLIC_API_URL=http://localhost:8000
ENV NEXT_PUBLIC_API_URL=${NEXT_PUBLIC_API_URL} NEXT_TELEMETRY_DISABLED=1
RUN npm run build

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runner
LABEL org.opencontainers.image.title="todo-chatbot frontend" \
      org.opencontainers.image.description="Next.js standalone server"
WORKDIR /app
# HOSTNAME: the standalone server binds $HOSTNAME, which Kubernetes sets to the pod's name (it would
# then listen on the pod IP only, and `kubectl port-forward` to localhost would be refused).
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 HOSTNAME=0.0.0.0 PORT=3000
# Root-owned files (the server cannot rewrite its own code); only .next/cache, where Next.js keeps its
# image cache, is writable by the app. The chart mounts an emptyDir there and runs read-only.
COPY --from=build /app/public ./public
COPY --from=build /app/.next/standalone ./
COPY --from=build /app/.next/static ./.next/static
RUN mkdir -p .next/cache && chown 1001:1001 .next/cache
# Numeric, so that Kubernetes' runAsNonRoot can verify it; the chart's frontend.runAsUser is 1001.
USER 1001:1001
EXPOSE 3000
# node is PID 1 (exec form, no `npm start` in between: npm does not pass SIGTERM on), so the
# kubelet's SIGTERM reaches the server.
STOPSIGNAL SIGTERM
CMD ["node", "server.js"]
