# Cromulent Voice self-hosted: the worker on bare workerd (no Cloudflare account, no wrangler).
# Build:  docker build -t cromulent-voice .
# Run:    docker run -d -p 127.0.0.1:8787:8787 -v cromulent-data:/data \
#           -e AUTH_SECRET=... -e PUBLIC_ORIGIN=https://voice.example.com cromulent-voice
# With coturn and health checks: docker-compose.prod.yml (README, "Self-host").
#
# The pins are the ones scripts/setup.sh and package-lock.json use (tests/turn/selfhost-deploy
# holds them equal): worker-build 0.8.7, wasm-bindgen-cli 0.2.130 (= the wasm-bindgen pin in
# Cargo.toml), esbuild 0.28.2, workerd 1.20260730.1 (miniflare 4's, the compatibility date's),
# Node 22.23.3.

# --- npm tools: esbuild for the build, workerd for the run stage (native binaries) ---
FROM node:22.23.3-bookworm-slim AS npm-tools
ARG ESBUILD_VERSION=0.28.2
ARG WORKERD_VERSION=1.20260730.1
WORKDIR /tools
RUN npm install --no-save --no-audit --no-fund "esbuild@${ESBUILD_VERSION}" "workerd@${WORKERD_VERSION}" \
 && ./node_modules/workerd/bin/workerd --version

# --- build: Rust → wasm with the pinned tools, installed as scripts/setup.sh does ---
FROM rust:1.95-bookworm AS build
ARG WORKER_BUILD_VERSION=0.8.7
ARG WASM_BINDGEN_VERSION=0.2.130
# scripts/build.sh looks for wasm-bindgen in $HOME/.cargo/bin. wasm-bindgen-cli without --locked:
# its lockfile names a crate version the registry lacks (TOOLCHAIN.md).
RUN rustup target add wasm32-unknown-unknown \
 && cargo install --root /root/.cargo worker-build --version "${WORKER_BUILD_VERSION}" \
 && cargo install --root /root/.cargo wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}" \
 && rm -rf /usr/local/cargo/registry /root/.cargo/registry
WORKDIR /src
COPY --from=npm-tools /tools/node_modules ./node_modules
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo "" > src/lib.rs && cargo fetch --target wasm32-unknown-unknown && rm -rf src
COPY src ./src
COPY scripts/build.sh scripts/env.sh ./scripts/
RUN bash scripts/build.sh && test -s build/index.js && test -s build/index_bg.wasm

# --- run: Node (for the config generator) + workerd + the build and the page ---
FROM node:22.23.3-bookworm-slim
ENV LISTEN=0.0.0.0:8787 \
    REQUIRED_ENV=AUTH_SECRET \
    DATA_DIR=/data \
    CROMULENT_BUILD_DIR=/app/build
WORKDIR /app
COPY --from=npm-tools /tools/node_modules/workerd ./node_modules/workerd
COPY --from=npm-tools /tools/node_modules/@cloudflare ./node_modules/@cloudflare
COPY --from=build /src/build ./build
COPY wrangler.toml ./
COPY public ./public
COPY scripts/serve.sh scripts/serve.mjs scripts/env.sh scripts/workerd-assets.js ./scripts/
COPY tests/lib/config.mjs tests/lib/workerd.mjs tests/lib/net.mjs tests/lib/process.mjs tests/lib/wait.mjs ./tests/lib/
RUN mkdir -p /data && chown 1000:1000 /data
# The Durable Objects' SQLite files (rosters, members in their grace period): keep this volume.
VOLUME ["/data"]
# The image's unprivileged "node" user.
USER 1000:1000
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.LISTEN.split(':').pop()}/api/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# serve.sh execs workerd: it is the container's main process and gets docker stop's SIGTERM.
ENTRYPOINT ["bash", "scripts/serve.sh"]
