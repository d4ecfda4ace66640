# syntax=docker/dockerfile:1
# pod-identity-agent image: `server` by default, `init` for the DaemonSet init container.
# Both stages use the same Node major (22, LTS) that CI tests. Pin the digest too in production:
#   docker buildx imagetools inspect node:22-bookworm-slim

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY agent ./agent
RUN npm run build

FROM node:22-bookworm-slim AS runtime
# iproute2: `init` runs `ip`. libcap2-bin: setcap gives the node binary CAP_NET_BIND_SERVICE as a
# file capability, so the non-root user can bind port 80 when the pod grants NET_BIND_SERVICE
# (the kernel keeps it under no_new_privs because it is in the container's permitted set).
RUN apt-get update \
  && apt-get install -y --no-install-recommends iproute2 libcap2-bin \
  && setcap cap_net_bind_service=+ep "$(readlink -f /usr/local/bin/node)" \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Production dependencies only; then npm, npx, corepack and yarn leave the image: nothing installs at run time.
RUN npm ci --omit=dev --ignore-scripts \
  && npm cache clean --force \
  && rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* /root/.npm
COPY --from=build /src/dist/agent ./dist/agent
# Read-only root filesystem: the agent writes nothing. HOME points at /tmp (an emptyDir in the
# DaemonSet) only so that libraries looking for a home directory find one; no file is created there.
ENV HOME=/tmp
USER 65532:65532
EXPOSE 80 2703 2705
STOPSIGNAL SIGTERM
# A 1 MiB semi-space (V8's young generation): otherwise V8 sizes it from the memory it sees, up to
# 16 MiB semi-spaces that stay resident once a burst of requests has filled them (~25 MiB of RSS
# with 10,000 cached identities); no CPU cost measured on the hit path.
# An old generation let grow 20 % past what the last full collection kept (V8 otherwise lets a
# growing heap reach 1.1 to 4 times that): 119 MiB of RSS instead of 126-139 MiB with 10,000
# identities, and no CPU per miss measured (docs/performance.md).
# No memory reducer: its full collections, 8 s into an idle spell, left every later cache hit
# 3-5 us of CPU dearer (V8 runtime calls in Node's process.nextTick); without it an idle agent keeps
# ~7 MiB more heap at 10,000 identities (docs/performance.md).
# bench/agent-launch.ts (AGENT_NODE_FLAGS) starts the benchmarked agent with the same flags.
ENTRYPOINT ["/usr/local/bin/node", "--max-semi-space-size=1", "--heap-growing-percent=20", "--no-memory-reducer", "/app/dist/agent/main.js"]
CMD ["server"]
