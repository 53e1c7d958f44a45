# LogFlow's Bun processes: the API (default command), and with another command the scheduler,
# collector and indexer (see docker-compose.yml).
FROM oven/bun:1 AS deps
WORKDIR /app
COPY package.json bun.lock ./
COPY patches ./patches
RUN bun install --frozen-lockfile --production --ignore-scripts

# The dashboard is built with Vite, a development dependency: in its own stage, only web/dist is kept.
FROM oven/bun:1 AS web
WORKDIR /app
COPY package.json bun.lock ./
COPY patches ./patches
RUN bun install --frozen-lockfile --ignore-scripts
COPY . .
RUN bun web/build.ts

FROM oven/bun:1
WORKDIR /app
# MIMALLOC_PURGE_DELAY=10000: Bun's allocator keeps the memory it freed for 10 s instead of handing it
# back to the kernel after 10 ms and faulting it in again at the next batch (the indexer's CPU per event
# fell by 40 % on a 2-core VM), and still returns it once idle (-1, never, kept a burst's peak for good).
# package.json's role scripts set the same.
ENV NODE_ENV=production PORT=8000 MIMALLOC_PURGE_DELAY=10000
COPY --from=deps /app/node_modules ./node_modules
COPY . .
COPY --from=web /app/web/dist ./web/dist
RUN mkdir -p /app/.data && chown bun:bun /app/.data
EXPOSE 8000
USER bun
CMD ["bun", "workers/bun/api.ts"]
