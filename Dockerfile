# One image for both Settle processes; docker-compose.yml picks the command (API or worker).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY domain ./domain
COPY config ./config
COPY activities ./activities
COPY workflows ./workflows
COPY api ./api
COPY worker ./worker
COPY scripts/cli ./scripts/cli
USER node
CMD ["node_modules/.bin/tsx", "api/main.ts"]
