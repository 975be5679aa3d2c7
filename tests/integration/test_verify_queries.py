# -*- coding: utf-8 -*-
"""The kind scenario's JMESPath queries (molecule/default/verify.yml) give the right answer on k8s_info results.

The scenario itself needs Docker (make test-kind); here the same expressions run through the same filter,
community.general.json_query, in ansible-playbook, on pods shaped as k8s_info returns them.
"""

from __future__ import annotations

import json

import yaml

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, run_playbook

VERIFY = REPO / "molecule" / "default" / "verify.yml"


def pod(name, app=None, ready=None):
    status = {"phase": "Running"}
    if ready is not None:
        status["conditions"] = [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": ready}]
    return {"metadata": {"name": name, "labels": {"app": app} if app else {}}, "status": status}


def test_the_verify_queries_find_unready_pods_and_the_demo_pods(tmp_path):
    play_vars = yaml.safe_load(VERIFY.read_text(encoding="utf-8"))[0]["vars"]
    pods = [pod("ok-0", ready="True"), pod("starting-0", ready="False"), pod("pending-0"),
            pod("receiver-7f", app="vigil-webhook-receiver", ready="True"), pod("api-5c", app="demo-api", ready="True")]
    playbook = tmp_path / "queries.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False,
        "vars": {"resources": pods, "not_ready_query": play_vars["verify_not_ready_query"], "app_query": play_vars["verify_app_pod_query"]},
        "tasks": [{"ansible.builtin.debug": {"msg": (
            "{{ {'not_ready': resources | community.general.json_query(not_ready_query), "
            "'receiver': resources | community.general.json_query(app_query | replace('{app}', 'vigil-webhook-receiver')), "
            "'demo': resources | community.general.json_query(app_query | replace('{app}', 'demo-api')), "
            "'none': [] | community.general.json_query(not_ready_query)} | to_json }}")}}],
    }]), encoding="utf-8")
    proc = run_playbook(playbook, "localhost,", extra_env={"ANSIBLE_STDOUT_CALLBACK": "json"})
    found = json.loads(json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"])
    assert found == {"not_ready": ["starting-0", "pending-0"], "receiver": "receiver-7f", "demo": "api-5c", "none": []}
