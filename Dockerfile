# LAP in one image: the API, gateway, MCP proxy, Slack receiver and dashboard in one Bun process, with
# bubblewrap and the three harness CLIs (opencode, Claude Code, Codex) for sessions on the default
# local provider. PostgreSQL runs beside it (compose.yaml) or is any server DATABASE_URL names.
#
#   docker build -t lap .
#   docker run -p 3000:3000 -v lap-data:/var/lib/lap --security-opt seccomp=unconfined \
#     --security-opt apparmor=unconfined --security-opt systempaths=unconfined lap
#
# The three --security-opt let bubblewrap make its sandboxes (an unprivileged user namespace and a fresh
# /proc) inside the container; without them LAP says so at start-up and refuses to start local sandboxes
# (README.md, "Deploy"). CI builds this file with podman (scripts/image/image-test.ts).
#
# Behind a TLS-inspecting proxy, hand its CA to the build (never stored in a layer):
#   docker build --secret id=build_ca,src=/path/to/proxy-ca.pem -t lap .
ARG BASE_IMAGE=debian:bookworm-slim

# 1. Bun, from the npm registry (the package `npm start` installs), checked against pinned digests.
FROM ${BASE_IMAGE} AS bun
ARG DEBIAN_FRONTEND=noninteractive
ARG BUN_VERSION=1.4.5
ARG BUN_SHA256_AMD64=0c72edca57b0cbf0a07a242daf0ea8ea96711827f042b80a1c383ce1cc51c771
ARG BUN_SHA256_ARM64=c3cd56594c9d5d025df87f77c68ad4699a49b52551f0f3232be6f727533fe08c
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN --mount=type=secret,id=build_ca,required=false set -eu; \
    if [ -s /run/secrets/build_ca ]; then cat /etc/ssl/certs/ca-certificates.crt /run/secrets/build_ca >/tmp/ca.pem; export CURL_CA_BUNDLE=/tmp/ca.pem; fi; \
    case "$(dpkg --print-architecture)" in \
      amd64) pkg=bun-linux-x64; sha="$BUN_SHA256_AMD64" ;; \
      arm64) pkg=bun-linux-aarch64; sha="$BUN_SHA256_ARM64" ;; \
      *) echo "unsupported architecture $(dpkg --print-architecture)" >&2; exit 1 ;; \
    esac; \
    curl -fsSL --retry 3 -o /tmp/bun.tgz "https://registry.npmjs.org/@oven/$pkg/-/$pkg-$BUN_VERSION.tgz"; \
    echo "$sha  /tmp/bun.tgz" | sha256sum -c -; \
    tar -xzf /tmp/bun.tgz -C /tmp package/bin/bun; \
    install -m 0755 /tmp/package/bin/bun /usr/local/bin/bun; \
    rm -rf /tmp/package /tmp/bun.tgz /tmp/ca.pem; \
    bun --version

# 2. Production dependencies, exactly as bun.lock has them.
FROM bun AS deps
WORKDIR /app
COPY package.json bun.lock bunfig.toml ./
RUN --mount=type=secret,id=build_ca,required=false \
    if [ -s /run/secrets/build_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/build_ca; fi; \
    bun install --frozen-lockfile --production

# 3. The harness CLIs' native binaries, copied out of their npm packages into one read-only directory
#    (LAP_HARNESS_BIN_DIR) that every sandbox gets; then the packages' binaries are dropped from
#    node_modules, keeping their package.json (the dashboard shows the versions). The Claude Agent SDK's
#    own copy of the Claude Code binary is dropped too: LAP runs the CLI itself (harness/adapters).
#    Of Scalar (the /docs page) only the browser bundle LAP serves is kept (about 150 MB less); source
#    maps go too.
FROM deps AS modules
COPY harness/adapters/binaries.ts harness/adapters/install-binaries.ts harness/adapters/types.ts ./harness/adapters/
RUN bun harness/adapters/install-binaries.ts /opt/lap/harness-bin \
 && rm -rf harness \
 && rm -rf node_modules/opencode-linux-* node_modules/opencode-darwin-* node_modules/opencode-windows-* \
      node_modules/@anthropic-ai/claude-code-* node_modules/@anthropic-ai/claude-agent-sdk-* node_modules/@openai/codex-* \
 && rm -f node_modules/opencode-ai/bin/opencode.exe \
 && mkdir -p /tmp/scalar/dist/browser \
 && cp node_modules/@scalar/api-reference/package.json /tmp/scalar/ \
 && cp node_modules/@scalar/api-reference/dist/browser/standalone.js /tmp/scalar/dist/browser/ \
 && rm -rf node_modules/@scalar && mkdir -p node_modules/@scalar && mv /tmp/scalar node_modules/@scalar/api-reference \
 && find node_modules -name '*.map' -type f -delete

# 4. The dashboard (devDependencies: vite, solid), built once.
FROM deps AS ui
RUN --mount=type=secret,id=build_ca,required=false \
    if [ -s /run/secrets/build_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/build_ca; fi; \
    bun install --frozen-lockfile
COPY ui ./ui
COPY server ./server
COPY mcp ./mcp
COPY slack ./slack
COPY schema ./schema
COPY harness ./harness
COPY tsconfig.json ./
RUN cd ui && bun ../node_modules/vite/bin/vite.js build --logLevel warn

# 5. The runtime: Debian slim with bubblewrap, git, openssl (the egress CA) and tini; Bun; LAP's sources, production
#    node_modules, the dashboard and the harness binaries. Runs as the unprivileged user lap.
FROM ${BASE_IMAGE} AS runtime
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends bubblewrap ca-certificates gh git openssl procps ripgrep tini \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 lap \
 && useradd --system --uid 10001 --gid lap --home-dir /home/lap --create-home --shell /usr/sbin/nologin lap \
 && install -d -o lap -g lap -m 0700 /var/lib/lap
COPY --from=bun /usr/local/bin/bun /usr/local/bin/bun
COPY --from=modules /opt/lap/harness-bin /opt/lap/harness-bin
WORKDIR /app
COPY --from=modules /app/node_modules ./node_modules
COPY package.json bun.lock bunfig.toml tsconfig.json ./
COPY drizzle ./drizzle
COPY schema ./schema
COPY harness ./harness
COPY server ./server
COPY mcp ./mcp
COPY slack ./slack
COPY bin ./bin
COPY --from=ui /app/ui/dist ./ui/dist
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    LAP_DATA_DIR=/var/lib/lap \
    LAP_HARNESS_BIN_DIR=/opt/lap/harness-bin \
    DO_NOT_TRACK=1
VOLUME ["/var/lib/lap"]
EXPOSE 3000
USER lap
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bun", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/health/readiness`).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "bun", "/app/bin/lap.ts"]
CMD ["up"]
