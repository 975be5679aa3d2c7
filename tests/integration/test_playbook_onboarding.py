# -*- coding: utf-8 -*-
"""onboard_teams.yml and offboard_team.yml in render mode, as AWX runs them: a survey's chosen teams are
onboarded without touching the others; one team is offboarded now, routing included, nothing else changed."""

from __future__ import annotations

import yaml

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, copy_example_inventory, recap, run_playbook, tree

PLAYBOOKS = REPO / "playbooks"


def render(playbook, inventory, out, *extra):
    return run_playbook(PLAYBOOKS / playbook, inventory, "-e", "observability_render_dir=%s" % out, *extra)


def team_files(files, team):
    out = set()
    for rel, (content, _mtime) in files.items():
        if "/manifests/" in rel and rel.endswith(".yaml"):
            labels = (yaml.safe_load(content).get("metadata") or {}).get("labels") or {}
            if labels.get("vigil.observability/team") == team:
                out.add(rel)
    return out


def test_onboard_only_the_chosen_team_then_offboard_it(tmp_path):
    inventory = copy_example_inventory(tmp_path / "inventory")
    out = tmp_path / "rendered"
    # Onboard one team, as an AWX survey would pass it.
    proc = render("onboard_teams.yml", inventory, out, "-e", '{"observability_only_teams_csv": " checkout "}')
    assert all(h["failed"] == 0 for h in recap(proc.stdout).values())
    files = tree(out)
    assert team_files(files, "checkout") and not team_files(files, "payments")
    config = yaml.safe_load(files["prod-eu/alertmanager/alertmanager.yaml"][0])
    # Routing comes from every team, even those not onboarded in this run.
    assert any(r["name"].startswith("payments-") for r in config["receivers"])

    # A full run adds the other team and leaves checkout's files untouched.
    render("site.yml", inventory, out)
    full = tree(out)
    assert team_files(full, "payments")
    for rel in team_files(files, "checkout"):
        assert full[rel] == files[rel]

    # Offboard checkout while its file still exists: its files go, its routes go, nothing else changes.
    proc = render("offboard_team.yml", inventory, out, "-e", "observability_offboard_team=checkout")
    assert "is still defined in the inventory" in proc.stdout
    after = tree(out)
    assert not team_files(after, "checkout")
    assert team_files(after, "payments") == team_files(full, "payments")
    for rel in team_files(full, "payments"):
        assert after[rel] == full[rel]
    for cluster in ("prod-eu", "staging-eu"):
        config = yaml.safe_load(after[cluster + "/alertmanager/alertmanager.yaml"][0])
        assert not any(r["name"].startswith("checkout-") for r in config["receivers"])
        values = yaml.safe_load(after[cluster + "/helm/kube-prometheus-stack.values.yaml"][0])
        assert values["alertmanager"]["config"] == config


def test_offboard_needs_a_valid_team_name(tmp_path):
    inventory = copy_example_inventory(tmp_path / "inventory")
    proc = run_playbook(PLAYBOOKS / "offboard_team.yml", inventory, "-e", "observability_render_dir=%s" % (tmp_path / "out"),
                        "-e", "observability_offboard_team=Not_A_Name", check=False)
    assert proc.returncode != 0
    assert "observability_offboard_team: must be a team name (a Kubernetes name), got 'Not_A_Name'" in proc.stdout
    assert not (tmp_path / "out").exists()
