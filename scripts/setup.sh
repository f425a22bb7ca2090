#!/usr/bin/env bash
# Installs what a fresh machine lacks for Tryghed, and nothing else. Idempotent: when everything
# is there it does nothing and prints nothing (with --quiet), so `npm start` and `npm test` call it
# every time.
#
#   bash scripts/setup.sh            install what is missing, for running and testing
#   bash scripts/setup.sh --quiet    the same, silent when nothing is missing
#   bash scripts/setup.sh --runtime  only what `npm start` needs; a missing influxd is a warning
#
# Needs Debian/Ubuntu (apt-get) and root or sudo for the system packages. Elsewhere it says what
# to install by hand, or to use `docker compose up` instead.
set -euo pipefail
cd "$(dirname "$0")/.."

quiet=0
runtime=0
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=1 ;;
    --runtime) runtime=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done
say() { [ "$quiet" = 1 ] || echo "setup: $*"; }
loud() { echo "setup: $*"; }

# 1. Node.js >= 20
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  loud "Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none)). Install it from your package manager or nodejs.org."
  exit 1
fi

# 2. npm packages: install when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  loud "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

# 3. System packages: Debian package name → the program that proves it is there.
#    influxdb: the time-series store that tests and `npm start` run locally.
#    mosquitto-clients: a third-party MQTT client for the broker's interoperability tests.
#    mosquitto: a home's local broker for the gateway's zigbee2mqtt tests.
#    chromium: the real browser the dashboard's browser tests drive.
#    haproxy: the load balancer of docker-compose.yml, whose config the deployment tests check and run.
#    openssl: makes the broker's self-signed TLS pair on the first start without MQTT_TLS_CERT.
#    redis-server: the shared Redis that the clustered-broker tests start (REDIS_URL in production).
declare -A needed=( [influxdb]=influxd [openssl]=openssl )
if [ "$runtime" = 0 ]; then
  needed[mosquitto-clients]=mosquitto_pub
  # the home's local broker (the one zigbee2mqtt publishes to) in the gateway tests
  needed[mosquitto]=/usr/sbin/mosquitto
  # the browser tests launch exactly /usr/bin/chromium (Debian's package), not any chromium on PATH
  needed[chromium]=/usr/bin/chromium
  # PostgreSQL: the store's tests run on it as on SQLite (the harness starts its own server); any
  # version Debian ships, so the proof is a glob (see have below)
  needed[postgresql]='/usr/lib/postgresql/*/bin/postgres'
  # several brokers sharing sessions, subscriptions and retained messages (test/harness/redis.ts)
  needed[redis-server]=redis-server
  # deploy/haproxy/haproxy.cfg is checked (haproxy -c) and run in front of two platforms in the tests
  needed[haproxy]=/usr/sbin/haproxy
fi
# a program is there: on PATH, or (a glob) some file matches
have() { command -v "$1" >/dev/null 2>&1 || compgen -G "$1" >/dev/null 2>&1; }
missing=()
for pkg in "${!needed[@]}"; do
  have "${needed[$pkg]}" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && { say "everything is installed"; exit 0; }

as_root=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then as_root=(sudo); else as_root=(none); fi
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "${as_root[0]:-}" = none ]; then
  msg="missing system packages: ${missing[*]}. Install them with your package manager (Debian/Ubuntu: apt-get install ${missing[*]}), or run the whole platform with 'docker compose up' instead."
  if [ "$runtime" = 1 ]; then loud "warning: $msg Without influxd, set INFLUX_URL to a running InfluxDB."; exit 0; fi
  loud "$msg"
  exit 1
fi

loud "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for pkg in "${missing[@]}"; do
  if ! have "${needed[$pkg]}"; then
    loud "installing $pkg did not provide ${needed[$pkg]}"
    exit 1
  fi
done
say "installed ${missing[*]}"
