#!/usr/bin/env bash
# Installs the object-store servers the test suite starts on loopback (testkit/servers.py), pinned:
#   fake-gcs-server  Google Cloud Storage, built from the Go module proxy (its own go.mod/go.sum) into .tools/bin
#   Azurite          Azure Blob Storage, from the npm registry into .tools/node, every package at the version
#                    tools/azurite/package-lock.json pins (`npm ci`)
# moto's S3-compatible server is a pinned Python dev dependency (pyproject.toml), installed with the venv.
# Each is reinstalled only when its pin changes (a stamp per server, as tools/build.sh does for the engine).
set -euo pipefail
FAKE_GCS_SERVER=v1.56.1
here="$(cd "$(dirname "$0")" && pwd)"
tools="$here/../.tools"
mkdir -p "$tools/bin" "$tools/node"

stamp="fake-gcs-server $FAKE_GCS_SERVER"
if [ ! -x "$tools/bin/fake-gcs-server" ] || [ "$(cat "$tools/bin/.fake-gcs-server.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "building fake-gcs-server $FAKE_GCS_SERVER into .tools/bin (first time: a minute or two)" >&2
  start=$(date +%s)
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "github.com/fsouza/fake-gcs-server@$FAKE_GCS_SERVER"
  echo "$stamp" > "$tools/bin/.fake-gcs-server.stamp"
  echo "built fake-gcs-server in $(( $(date +%s) - start ))s" >&2
fi

stamp="$(cat "$here/azurite/package.json" "$here/azurite/package-lock.json" | sha256sum | cut -c1-16)"
if [ ! -f "$tools/node/node_modules/azurite/dist/src/blob/main.js" ] || [ "$(cat "$tools/node/.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "installing Azurite into .tools/node from the npm registry (first time: a few minutes)" >&2
  start=$(date +%s)
  cp "$here/azurite/package.json" "$here/azurite/package-lock.json" "$tools/node/"
  npm ci --prefix "$tools/node" --no-audit --no-fund --loglevel=error --omit=dev
  echo "$stamp" > "$tools/node/.stamp"
  echo "installed Azurite in $(( $(date +%s) - start ))s" >&2
fi
