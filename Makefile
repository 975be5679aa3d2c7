# Two commands for a newcomer: `make render` (the main job) and `make test` (every test).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: setup render test test-unit test-sanity test-lint test-kind test-charts test-specs bench ee clean tools control-plane control-plane-stop

setup:
	@bash scripts/setup.sh

# `make render INVENTORY=inventories/production` renders another inventory (render mode whatever it sets).
INVENTORY ?= inventories/example
render: setup
	$(BIN)/ansible-playbook -i $(INVENTORY) playbooks/site.yml -e observability_mode=render

test: setup
	@bash scripts/test.sh

test-unit: setup
	$(BIN)/pytest tests/unit

# One quality gate of `make test` at a time (steps of scripts/test.sh).
test-sanity: setup
	@bash scripts/test.sh sanity

test-lint: setup
	@bash scripts/test.sh lint changelog docs syntax

# The chart gate (docs/testing.md): the real helm on the pinned chart sources, every object valid, every link resolved.
# Needs VIGIL_CHART_SOURCES (assembled by tests/charts/chart_sources.py); helm goes into .cache/tools when missing.
test-charts: setup
	VIGIL_REQUIRE_TOOLS=1 VIGIL_HELM=$$(bash scripts/install-helm.sh) $(BIN)/pytest -p no:cacheprovider -v -s tests/charts

# The peers' own example specs (Sloth, Pyrra) imported as a team imports them; VIGIL_SPEC_SOURCES holds them, assembled
# outside the repository by `python tests/specs/spec_sources.py <git mirrors> <dir>` (docs/testing.md).
test-specs: setup
	$(BIN)/pytest -p no:cacheprovider -v -s tests/specs

# The Go tools of the cluster tests (kube-apiserver, kube-controller-manager, etcd, the Prometheus Operator, helm-diff),
# built from their pinned wrapper modules (tools/go/) into $HOME/.cache/vigil-observability/tools; one line per tool.
tools:
	@bash scripts/build-tools.sh

# Two real control planes on 127.0.0.1 (prod-eu, prod-us: etcd, kube-apiserver, kube-controller-manager, the Prometheus
# Operator), admin kubeconfig with contexts <cluster>-admin and <cluster>-<team group> in .cache/control-plane/kubeconfig.
CONTROL_PLANE_GROUPS ?= payments
control-plane: setup tools
	$(BIN)/python scripts/control_plane.py start --groups $(CONTROL_PLANE_GROUPS)

control-plane-stop: setup
	$(BIN)/python scripts/control_plane.py stop

# The kind scenario (molecule/default): needs Docker and network access, so `make test` does not run it.
test-kind: setup
	$(BIN)/molecule test -s default

# Figures, not tests (docs/benchmarks.md): the plan and site.yml render side by side with 5a7f552 (before the plan),
# rule evaluation cost and alert edges against Sloth-style rules (pass SLOTH_RULES=<its getting-started.yml> for its own).
# The benchmarks import the collection, tests/support and each other as ansible_collections.vigil.observability.*.
bench: export PYTHONPATH := $(CURDIR)/.venv/collections
bench: setup
	$(BIN)/python benchmarks/generation.py --baseline 5a7f552
	$(BIN)/python benchmarks/site_render.py
	$(BIN)/python benchmarks/rule_eval_cost.py $(if $(SLOTH_RULES),--sloth-rules $(SLOTH_RULES))
	$(BIN)/python benchmarks/rule_cost_model.py
	$(BIN)/python benchmarks/slo_timing.py
	$(BIN)/python benchmarks/slo_edges.py $(if $(SLOTH_RULES),--sloth-rules $(SLOTH_RULES))

# The execution environment's build context (docs/awx.md): the collection as a tarball, then ansible-builder create.
# Build the image from it with `podman build -t <image> .cache/ee/context`.
ee: setup
	@bash scripts/ee-context.sh .cache/ee/context

clean:
	rm -rf rendered .cache tests/output
