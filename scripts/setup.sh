#!/usr/bin/env bash
# Idempotent setup: Debian tools (promtool, amtool, rsync, shellcheck), .venv with pinned Python
# requirements, and the checkout linked as the collection vigil.observability.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/.venv"

need_pkgs=()
command -v promtool >/dev/null 2>&1 || need_pkgs+=(prometheus)
command -v amtool >/dev/null 2>&1 || need_pkgs+=(prometheus-alertmanager)
command -v rsync >/dev/null 2>&1 || need_pkgs+=(rsync)
# ansible-test sanity skips its shellcheck test (with only a warning) when shellcheck is missing.
command -v shellcheck >/dev/null 2>&1 || need_pkgs+=(shellcheck)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
    # The packages start services where systemd runs; the tests start their own.
  else
    echo "setup: missing ${need_pkgs[*]}; install them (Debian: apt-get install ${need_pkgs[*]})" >&2
  fi
fi

stamp="$venv/.requirements.sha256"
want=$(cat requirements.txt constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing pinned Python requirements into .venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
  echo "$want" > "$stamp"
fi

# Importable as vigil.observability without copying: a link in .venv/collections,
# which ansible.cfg puts first on the collections path.
link="$venv/collections/ansible_collections/vigil/observability"
mkdir -p "$(dirname "$link")"
if [ "$(readlink "$link" 2>/dev/null)" != "$root" ]; then
  rm -rf "$link"
  ln -s "$root" "$link"
fi
echo "setup: ready ($("$venv/bin/ansible" --version | head -1); $(promtool --version 2>/dev/null | head -1 || echo 'promtool missing'))"
