# -*- coding: utf-8 -*-
"""awx_setup.yml checks every input at once before it creates anything on the controller."""

from __future__ import annotations

import json

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, run_playbook

AWX_SETUP = REPO / "playbooks" / "awx_setup.yml"


def test_bad_inputs_are_all_reported_before_any_controller_object(tmp_path):
    templates = [{"name": "x", "playbook": "playbooks/missing.yml", "job_type": "go", "survey": {"spec": [{"variable": "teams_only"}]}},
                 "not a mapping"]
    proc = run_playbook(AWX_SETUP, "localhost,", "-e", "awx_organization=", "-e", "awx_inventory_source_path=inventories/nope",
                        "-e", "awx_execution_environment_image=registry.example.com/ee", "-e", json.dumps({"awx_job_templates": templates}),
                        check=False)
    assert proc.returncode != 0
    for expected in ("awx_organization: must be a non-empty name",
                     "awx_inventory_source_path: inventories/nope is not a directory of the project",
                     "awx_execution_environment_image: must name an image with a tag or digest",
                     "awx_job_templates[0].playbook: playbooks/missing.yml is not a playbook of the project",
                     "awx_job_templates[0].job_type: must be run or check, got go",
                     "awx_job_templates[0].survey.spec[0].variable: teams_only is not an input of the playbooks",
                     "awx_job_templates[1]: must be a mapping"):
        assert expected in proc.stdout, proc.stdout[-3000:]
    assert "TASK [Execution environment" not in proc.stdout


def test_the_shipped_inputs_pass_the_preflight(tmp_path):
    # The one input without a default that works everywhere: a kubeconfig with a context for each cluster host.
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(json.dumps({"contexts": [{"name": "prod-eu-admin", "context": {"cluster": "eu"}},
                                                   {"name": "prod-us-admin", "context": {"cluster": "us"}}]}), encoding="utf-8")
    proc = run_playbook(AWX_SETUP, "localhost,", "-e", "awx_kubeconfig_file=%s" % kubeconfig, check=False)
    head, _sep, rest = proc.stdout.partition("TASK [Preflight | Check every input of this playbook]")
    assert rest, proc.stdout[-2000:]
    first_result = rest.strip().splitlines()[1] if rest.strip().splitlines()[0].startswith("*") else rest.strip().splitlines()[0]
    assert first_result.startswith("skipping: [localhost]"), rest[:1000]
    # Then the first object, the execution environment (the controller is not reachable here).
    assert "TASK [Execution environment with the collection" in proc.stdout
