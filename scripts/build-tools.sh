#!/usr/bin/env bash
# Builds the Go tools the cluster tests run (docs/testing.md, A real control plane): kube-apiserver, kube-controller-manager, etcd, the
# Prometheus Operator, the helm-diff plugin and promtool (Prometheus 3.14, with the Kubernetes service discovery
# Debian's promtool lacks), each from its pinned wrapper module under tools/go/<module>/
# (go.mod + go.sum pin the tool and every dependency; one module per tool, so no tool raises another's shared
# dependencies), with the flags of the project's own release build.
#
#   scripts/build-tools.sh [--force] [tool...]      tools: kube-apiserver kube-controller-manager etcd
#                                                   prometheus-operator helm-diff promtool (default: all)
#
# Binaries go to ${VIGIL_TOOLS_CACHE:-$HOME/.cache/vigil-observability/tools}/<tool>-<version>/, outside the
# clone (CI runs in a fresh one); Go's build and module caches (GOCACHE, GOMODCACHE) are the usual ones under
# $HOME. A tool is built again only when its stamp (wrapper go.mod and go.sum, build recipe, Go version) changed,
# or with --force. Prints one line per tool on stdout, `name version path`: the binary, or for helm-diff the
# directory to use as HELM_PLUGINS (diff/plugin.yaml, diff/bin/diff). A failed build shows Go's error, exits 1.
set -euo pipefail
shopt -s inherit_errexit

root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${VIGIL_TOOLS_CACHE:-$HOME/.cache/vigil-observability/tools}"
all_tools=(kube-apiserver kube-controller-manager etcd prometheus-operator helm-diff promtool)

die() { echo "build-tools: $*" >&2; exit 1; }

# tool -> "wrapper module package binary": the wrapper module (tools/go/<wrapper>), the module whose version is
# the tool's, the main package, the binary's name in the cache.
spec() {
  case "$1" in
    kube-apiserver | kube-controller-manager) echo "kubernetes k8s.io/kubernetes k8s.io/kubernetes/cmd/$1 $1" ;;
    etcd) echo "etcd go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3 etcd" ;;
    prometheus-operator)
      echo "prometheus-operator github.com/prometheus-operator/prometheus-operator" \
        "github.com/prometheus-operator/prometheus-operator/cmd/operator operator" ;;
    helm-diff) echo "helm-diff github.com/databus23/helm-diff/v3 github.com/databus23/helm-diff/v3 diff" ;;
    promtool) echo "prometheus github.com/prometheus/prometheus github.com/prometheus/prometheus/cmd/promtool promtool" ;;
    *) return 1 ;;
  esac
}

# The flags of each project's release build: Kubernetes hack/lib/golang.sh and version.sh, etcd
# scripts/build_lib.sh, the prometheus-operator Makefile, the helm-diff Makefile; all static (CGO_ENABLED=0),
# -trimpath. Release time and commit are the module proxy's (.info); the commit only where the proxy has one.
build_flags() { # tool module version
  local tool="$1" module="$2" version="$3" listed info time commit
  # `go list -m` fetches the .info if need be and, unlike `go mod download`, never adds to go.sum.
  listed="$(go list -m -f '{{.Version}} {{with .Replace}}replaced{{end}}' "$module")"
  [ "$listed" = "$version " ] || die "$tool: tools/go pins $module $version, but the build would use: $listed"
  time="$(go list -m -json "$module" | sed -n 's/^[[:space:]]*"Time": "\(.*\)",$/\1/p')"
  [ -n "$time" ] || die "$tool: the module proxy gave no release time for $module@$version"
  # The module cache's escaped path (an upper-case letter becomes ! and the lower-case letter; \L has no
  # parameter-expansion equivalent).
  # shellcheck disable=SC2001
  info="$(go env GOMODCACHE)/cache/download/$(sed 's/[A-Z]/!\L&/g' <<<"$module")/@v/$version.info"
  commit="$(sed -n 's/.*"Hash": *"\([0-9a-f]*\)".*/\1/p' "$info" 2>/dev/null || true)"
  case "$tool" in
    kube-apiserver | kube-controller-manager)
      # Without these the server reports v0.0.0-master and charts' kubeVersion constraints fail.
      local major="${version#v}" minor="${version#v*.}" ldflags=() pkg kv
      major="${major%%.*}" minor="${minor%%.*}"
      for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        for kv in "gitVersion=$version" "gitMajor=$major" "gitMinor=$minor" "gitCommit=$commit" \
          "gitTreeState=clean" "buildDate=$time"; do
          ldflags+=("-X '$pkg.$kv'")
        done
      done
      echo "-tags=selinux,notest,grpcnotrace"
      echo "-ldflags=all=${ldflags[*]} -s -w" ;;
    etcd) # the version is a constant of go.etcd.io/etcd/api/v3/version
      echo "-ldflags=-s -w${commit:+ -X go.etcd.io/etcd/api/v3/version.GitSHA=${commit:0:7}}" ;;
    prometheus-operator)
      local v=github.com/prometheus/common/version
      echo "-ldflags=-s -w -X $v.Version=${version#v} -X $v.Revision=$commit -X $v.Branch=$version" \
        "-X $v.BuildUser=vigil.observability -X $v.BuildDate=$time" ;;
    helm-diff) echo "-ldflags=-s -w -X github.com/databus23/helm-diff/v3/cmd.Version=${version#v}" ;;
    promtool) # Prometheus 3.x is published as module v0.3XX.Y: release 3.XX.Y (its VERSION file; promu's flags)
      local v=github.com/prometheus/common/version n="${version#v0.}" release
      release="$((${n%%.*} / 100)).$((${n%%.*} % 100)).${n#*.}"
      echo "-ldflags=-s -w -X $v.Version=$release -X $v.Revision=$commit -X $v.Branch=HEAD" \
        "-X $v.BuildUser=vigil.observability -X $v.BuildDate=$time" ;;
  esac
}

# helm-diff as helm expects a plugin: <tool dir>/plugins/diff/{plugin.yaml,bin/diff}, used with
# HELM_PLUGINS=<tool dir>/plugins. Our own minimal plugin.yaml (no install hooks: the binary is already there); one
# `command` for every platform: helm 3 finds no platformCommand entry without an os and arch ("no plugin command is
# applicable"), and helm 4 reads the same legacy field.
helm_diff_plugin() { # dir version
  cat >"$1/plugins/diff/plugin.yaml" <<EOF
name: diff
version: "${2#v}"
usage: "Preview helm upgrade changes as a diff"
description: "helm-diff $2, built by vigil.observability scripts/build-tools.sh"
command: \$HELM_PLUGIN_DIR/bin/diff
EOF
}

binary_path() { # tool version
  local bin
  bin="$(spec "$1" | cut -d' ' -f4)"
  if [ "$1" = helm-diff ]; then echo "$cache/$1-$2/plugins/diff/bin/$bin"; else echo "$cache/$1-$2/$bin"; fi
}

shown_path() { # tool version
  if [ "$1" = helm-diff ]; then echo "$cache/$1-$2/plugins"; else binary_path "$1" "$2"; fi
}

# The name `go build -o dir/` gives a main package's binary: its last path element, the one before for a
# major-version suffix (go.etcd.io/etcd/server/v3 -> server).
go_binary_name() {
  local p="$1"
  if [[ "${p##*/}" =~ ^v[0-9]+$ ]]; then p="${p%/*}"; fi
  echo "${p##*/}"
}

force=0
tools=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h | --help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) die "unknown option '$arg'" ;;
    *)
      spec "$arg" >/dev/null || die "unknown tool '$arg' (known: ${all_tools[*]})"
      [[ " ${tools[*]} " == *" $arg "* ]] || tools+=("$arg") ;;
  esac
done
[ "${#tools[@]}" -gt 0 ] || tools=("${all_tools[@]}")

command -v go >/dev/null 2>&1 || die "go is not installed"
# go.mod and go.sum are the pins: the build never edits them, a missing checksum is an error. (GOFLAGS from
# the environment would replace the go env file's, so start from the effective value.)
GOFLAGS="$(go env GOFLAGS)"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"
# The recipe part of every stamp: the functions that decide flags and layout (declare -f drops comments), the
# Go version; helm-diff's stamp adds its plugin.yaml writer.
recipe="$(declare -f spec build_flags binary_path go_binary_name) $(go env GOVERSION)"

mkdir -p "$cache"
# One build at a time per cache: two would share the same cores and directories.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.lock"
  flock 9
fi

# What needs building, grouped by wrapper module: one `go build` per module builds all of its binaries
# (kube-apiserver and kube-controller-manager share most packages, and link in parallel).
declare -A version_of stamp_of group
order=()
for tool in "${tools[@]}"; do
  read -r wrapper module _ _ <<<"$(spec "$tool")"
  dir="$root/tools/go/$wrapper"
  version="$(awk -v m="$module" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$dir/go.mod")"
  [ -n "$version" ] || die "$tool: tools/go/$wrapper/go.mod requires no version of $module"
  version_of[$tool]="$version"
  own="$([ "$tool" != helm-diff ] || declare -f helm_diff_plugin)"
  stamp_of[$tool]="$(cat "$dir/go.mod" "$dir/go.sum" - <<<"$tool $recipe $own" | sha256sum | cut -d' ' -f1)"
  if [ "$force" = 0 ] && [ -x "$(binary_path "$tool" "$version")" ] &&
    [ "$(cat "$cache/$tool-$version/.vigil-build" 2>/dev/null)" = "${stamp_of[$tool]}" ]; then
    continue
  fi
  [ -n "${group[$wrapper]:-}" ] || order+=("$wrapper")
  group[$wrapper]="${group[$wrapper]:-} $tool"
done

for wrapper in "${order[@]}"; do
  read -r -a members <<<"${group[$wrapper]}"
  read -r _ module _ _ <<<"$(spec "${members[0]}")"
  version="${version_of[${members[0]}]}"
  pkgs=()
  for tool in "${members[@]}"; do pkgs+=("$(spec "$tool" | cut -d' ' -f3)"); done
  flags_text="$(cd "$root/tools/go/$wrapper" && build_flags "${members[0]}" "$module" "$version")"
  mapfile -t flags <<<"$flags_text"
  tmp="$(mktemp -d "$cache/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "build-tools: building ${members[*]} $version (tools/go/$wrapper)" >&2
  (cd "$root/tools/go/$wrapper" && go build -trimpath "${flags[@]}" -o "$tmp/" "${pkgs[@]}") ||
    die "building ${members[*]} $version failed (tools/go/$wrapper): see Go's error above"
  for tool in "${members[@]}"; do
    dest="$(binary_path "$tool" "$version")"
    rm -f "$cache/$tool-$version/.vigil-build"
    mkdir -p "$(dirname "$dest")"
    mv -f "$tmp/$(go_binary_name "$(spec "$tool" | cut -d' ' -f3)")" "$dest"
    if [ "$tool" = helm-diff ]; then helm_diff_plugin "$cache/$tool-$version" "$version"; fi
    echo "${stamp_of[$tool]}" >"$cache/$tool-$version/.vigil-build"
  done
  rm -rf "$tmp"
  trap - EXIT
done

for tool in "${tools[@]}"; do
  echo "$tool ${version_of[$tool]} $(shown_path "$tool" "${version_of[$tool]}")"
done
