# The podmortem image: `podmortem agent` in deploy/agent's DaemonSet, or any command
# (`docker run --rm podmortem:0.1.0 --version`). Build: `docker build -t podmortem:0.1.0 .`
# Where no base image can be pulled, README "Deploying the agent" builds the same layout offline.

# Build: compilers for native modules (better-sqlite3), TypeScript and esbuild for dist/.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schema ./schema
COPY scripts ./scripts
# npm ci runs `prepare`, which builds dist/.
RUN npm ci

# Production dependencies only, native modules compiled here where the toolchain is.
FROM node:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts skips our own `prepare` (it needs the dev dependencies); `npm rebuild` then runs
# the dependencies' install scripts (native builds) alone.
RUN npm ci --omit=dev --ignore-scripts && npm rebuild

# Runtime: Node and the program, nothing else. It runs as root in the DaemonSet (its capabilities
# only apply to uid 0) with a read-only root filesystem, so nothing here needs to be writable.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json README.md ./
COPY schema/report.schema.json ./schema/report.schema.json
EXPOSE 9713
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["agent"]
