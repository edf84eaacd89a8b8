#!/usr/bin/env bash
# Installs the workspace from the lockfile when node_modules is missing or older than the lock.
# Native addons (better-sqlite3) compile here because prebuilt-binary downloads are blocked, and
# node-gyp needs Node's headers locally: point npm at them when it has no nodedir of its own.
set -euo pipefail
cd "$(dirname "$0")/../.."

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "Keel needs Node.js 20 or newer (found $(node --version))" >&2
  exit 1
fi

if [ -z "$(npm config get nodedir 2>/dev/null | grep -v '^undefined$' || true)" ]; then
  for candidate in /usr /usr/local "$(dirname "$(dirname "$(command -v node)")")"; do
    if [ -f "$candidate/include/node/node.h" ]; then
      export npm_config_nodedir="$candidate"
      break
    fi
  done
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing dependencies (npm ci)..."
  npm ci --no-audit --no-fund
fi
