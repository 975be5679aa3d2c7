# Two commands for a newcomer: `make render` (the main job) and `make test` (every test).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: setup render test test-unit test-sanity test-lint test-kind clean

setup:
	@bash scripts/setup.sh

render: setup
	$(BIN)/ansible-playbook -i inventories/example playbooks/site.yml

test: setup
	@bash scripts/test.sh

test-unit: setup
	$(BIN)/pytest tests/unit

clean:
	rm -rf rendered .cache tests/output
