# datamigrato worker / API image (docker-compose.yml runs it twice with different commands).
# Debian-based (glibc): the Temporal worker's native core does not run on musl/alpine.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY . .
ENV NODE_ENV=production
CMD ["npx", "tsx", "worker/main.ts"]
