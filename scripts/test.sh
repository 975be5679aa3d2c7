#!/usr/bin/env bash
# Every test: pytest (unit and real-tool), then the Ansible quality gates.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export VIGIL_REQUIRE_TOOLS="${VIGIL_REQUIRE_TOOLS:-1}"
if [ -z "${VIGIL_REFERENCE_DIR:-}" ] && [ -d ../shared/reference ]; then
  export VIGIL_REFERENCE_DIR="$(cd ../shared/reference && pwd)"
fi
echo "== pytest"
pytest
