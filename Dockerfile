# LogFlow's Bun processes (api now; collector, indexer and scheduler join as they land).
FROM oven/bun:1 AS deps
WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production --ignore-scripts

FROM oven/bun:1
WORKDIR /app
ENV NODE_ENV=production PORT=8000
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN bun web/build.ts && mkdir -p /app/.data && chown bun:bun /app/.data
EXPOSE 8000
USER bun
CMD ["bun", "workers/bun/api.ts"]
