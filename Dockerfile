# One image for every pipeline stage and the `init` step; docker-compose.yml picks the command.
# Build: dev dependencies to compile TypeScript, then production dependencies only.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  # keep the data files the code reads beside its sources (migrations/*.sql), not the sources
  && find libs services -name '*.ts' -delete

# Runtime: compiled JavaScript, production node_modules, the Avro schemas and SQL migrations.
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/avro avro
COPY --from=build /app/libs libs
COPY --from=build /app/services services
COPY --from=build /app/playbooks playbooks
USER node
EXPOSE 9464
# `docker run unitrail:local` lists the commands; compose runs `run <stage>` or `init`.
CMD ["node", "dist/services/cli/main.js", "--help"]
