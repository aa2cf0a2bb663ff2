# One image for every Rollup Mesh service; the command picks the app.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's postinstall applies these to node_modules (patches/README.md).
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm run circuits:build -- --profile dev && npm run plugins:build
ENV NODE_ENV=production HOST=0.0.0.0
CMD ["node", "dist/apps/mainnet/src/main.js"]
