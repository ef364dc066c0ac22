#!/usr/bin/env bash
# Builds the Pulumi engine into .tools/bin from the Go module proxy:
#   pulumi                        the CLI, github.com/pulumi/pulumi/pkg/v3 at the version go.mod pins
#   pulumi-language-python        our minimal language host (tools/pulumi-language-python)
#   pulumi-resource-pulumi-python our shim for the Python dynamic provider (tools/pulumi-resource-pulumi-python)
#   pulumi-language-python-exec   Pulumi's own Python exec shim, copied out of the sdk/v3 module at the same version
# Our two plugins exit, with their children, once the engine that started them is gone
# (tools/internal/enginewatch).
# The version lives in go.mod; pyproject.toml pins the same pulumi SDK (a unit test checks).
# Rebuilds only when go.mod, go.sum or our plugins' source change.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../.tools/bin"
mkdir -p "$bin"
export GOFLAGS=-mod=mod
stamp="$(cat "$here/go.mod" "$here/go.sum" "$here"/pulumi-*/*.go "$here"/internal/*/*.go | sha256sum | cut -c1-16)"
if [ -x "$bin/pulumi" ] && [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
cd "$here"
version="$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
echo "building the Pulumi engine $version into .tools/bin (first time: a few minutes)" >&2
start=$(date +%s)
go build -ldflags "$ldflags" -o "$bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
go build -ldflags "$ldflags" -o "$bin/pulumi-language-python" ./pulumi-language-python
rm -f "$bin/pulumi-resource-pulumi-python"  # older checkouts have Pulumi's shell shim here: go build won't overwrite it
go build -ldflags "$ldflags" -o "$bin/pulumi-resource-pulumi-python" ./pulumi-resource-pulumi-python
sdk="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
echo "$stamp" > "$bin/.stamp"
echo "built Pulumi $version in $(( $(date +%s) - start ))s" >&2
