# datamigrato worker / API image (docker-compose.yml runs it twice with different commands).
# Debian-based (glibc): the Temporal worker's native core does not run on musl/alpine.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY . .
ENV NODE_ENV=production
RUN npx tsx scripts/bundle-workflows.ts /app/dist/workflow-bundle.js
ENV DATAMIGRATO_WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
CMD ["bin/datamigrato-worker"]
