# The platform in one container. Readings go to the InfluxDB named by INFLUX_URL (docker-compose.yml
# runs InfluxDB 2.x beside it); the SQLite file lives in the /app/data volume.
FROM node:20-bookworm-slim
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary can be fetched; openssl makes the
# broker's self-signed TLS pair on first start when MQTT_TLS_CERT/MQTT_TLS_KEY are not set
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ openssl && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
ENV HTTP_HOST=0.0.0.0 MQTT_HOST=0.0.0.0 DATA_DIR=/app/data INFLUX_AUTOSTART=false
EXPOSE 8080 1883 8883
VOLUME /app/data
CMD ["npx", "tsx", "bin/tryghed.ts", "start"]
