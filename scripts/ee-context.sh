#!/usr/bin/env bash
# The execution environment's build context (docs/awx.md): this checkout's collection built into
# execution-environment/collections/vigil-observability.tar.gz, then `ansible-builder create`. Build the image from
# the context with `podman build` (or `ansible-builder build`, which runs both steps). Prints the context's path.
set -euo pipefail
cd "$(dirname "$0")/.."
context=${1:-.cache/ee/context}
bin=${VIGIL_BIN:-.venv/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/ansible-galaxy" collection build --force --output-path "$work" . >/dev/null
mkdir -p execution-environment/collections
cp "$work"/vigil-observability-*.tar.gz execution-environment/collections/vigil-observability.tar.gz
"$bin/ansible-builder" create --file execution-environment/execution-environment.yml --context "$context" \
  --output-filename Containerfile >/dev/null
echo "$context"
