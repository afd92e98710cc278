# One image for both Settle processes; docker-compose.yml picks the command (API or worker).
# The first stage compiles the TypeScript; the image itself holds only JavaScript and production
# dependencies (test/docker-image.test.ts builds and starts exactly this file set).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install`, not `npm ci`: the lockfile lists only one platform's binaries (see .ci/run), which
# `npm ci` rejects. Locked versions are still what gets installed.
RUN npm install --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY domain ./domain
COPY config ./config
COPY activities ./activities
COPY workflows ./workflows
COPY api ./api
COPY worker ./worker
COPY scripts/cli ./scripts/cli
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./
USER node
CMD ["node", "api/main.js"]
