# The service image: Node 20 on Debian slim. PostgreSQL comes from DATABASE_URL
# (docker-compose.yml runs one), so the embedded server is never started.

# Build: transpile src/ and migrations/ to dist/ (esbuild, a dev dependency).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY migrations ./migrations
RUN node scripts/build.mjs --no-bench

# Run: production dependencies and the compiled JavaScript only (no tsx, no TypeScript sources).
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY seeds ./seeds
COPY openapi ./openapi
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The same node flags as package.json's start script (the bench reads them from there).
CMD ["node", "--max-old-space-size=256", "dist/src/server.js"]
