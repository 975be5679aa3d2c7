#!/usr/bin/env bash
# Every test: pytest (unit and real-tool), then the Ansible quality gates.
# Each step prints a "== <step>" header; any failure stops the script non-zero.
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

step() { printf '\n== %s\n' "$*"; step_name=$*; step_start=$SECONDS; }
step_name=setup
trap 'echo "== FAILED: $step_name" >&2' ERR
done_step() { echo "-- ok ($((SECONDS - step_start))s)"; }

step "pytest"
pytest
done_step

step "ansible-test sanity (no ignore files)"
# ansible-test only runs inside a path ending in ansible_collections/<ns>/<name> (it resolves
# symlinks), so sanity runs in a copy of the files git would see: tracked plus untracked-not-ignored.
for f in tests/sanity/ignore-*.txt; do
  if [ -s "$f" ]; then echo "$f must be empty: fix the finding instead of ignoring it" >&2; exit 1; fi
done
offline_pip="$(cd .. && pwd)/shared/tools/ansible-test-offline-pip"
if [ ! -x "$offline_pip" ]; then
  echo "missing $offline_pip: clone the repo beside shared/ (it seeds ansible-test's pip bootstrap offline)" >&2
  exit 1
fi
PYTHON="$root/.venv/bin/python" "$offline_pip"
# ansible-test only warns and skips its shellcheck test without the tool; `make setup` installs it.
if [ "$VIGIL_REQUIRE_TOOLS" = 1 ] && ! command -v shellcheck >/dev/null 2>&1; then
  echo "shellcheck is missing (apt-get install shellcheck, or make setup as root)" >&2
  exit 1
fi
coll="$root/.cache/ansible-test/ansible_collections/vigil/observability"
mkdir -p "$coll"
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
(cd "$coll" && ansible-test sanity --venv --python 3.11 --color no)
done_step

step "ansible-lint (production profile)"
ansible-lint
done_step

step "antsibull-changelog lint"
antsibull-changelog lint
antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
done_step

step "antsibull-docs lint-collection-docs"
# It lints the collection at the given path (it sets up its own collection tree), plugin docs included.
antsibull-docs lint-collection-docs --plugin-docs .
done_step

step "playbook syntax check"
ansible-playbook playbooks/site.yml --syntax-check
ansible-playbook vigil.observability.site --syntax-check
done_step
