# -*- coding: utf-8 -*-
"""site.yml in render mode, run as a user runs it: layout, idempotence, offboarding, check and diff mode,
and bad input rejected before anything is written."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, copy_example_inventory, recap, run_playbook, tree

SITE = REPO / "playbooks" / "site.yml"


@pytest.fixture()
def inventory(tmp_path):
    return copy_example_inventory(tmp_path / "inventory")


def render(inventory, out, *args, **kwargs):
    return run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out, *args, **kwargs)


def example_teams(inventory):
    teams = {}
    for path in sorted((inventory / "group_vars" / "all").glob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        for key, value in data.items():
            if key.startswith("observability_team_"):
                teams[value.get("name", key[len("observability_team_"):].replace("_", "-"))] = (path, value)
    return teams


def test_layout_and_second_run_changes_nothing(inventory, tmp_path):
    out = tmp_path / "rendered"
    first = render(inventory, out)
    assert all(h["failed"] == 0 for h in recap(first.stdout).values())
    files = tree(out)
    manifests = [p for p in files if p.split("/")[1:2] == ["manifests"]]
    assert manifests, files.keys()
    for rel in manifests:
        cluster, _manifests, namespace, filename = rel.split("/")
        obj = yaml.safe_load(files[rel][0])
        # The layout contract: <cluster>/manifests/<namespace>/<kind lower>-<name>.yaml
        assert filename == "%s-%s.yaml" % (obj["kind"].lower(), obj["metadata"]["name"])
        assert namespace == obj["metadata"].get("namespace", "_cluster")
        assert cluster in ("prod-eu", "staging-eu")
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "vigil.observability"

    second = render(inventory, out)
    assert {h: r["changed"] for h, r in recap(second.stdout).items()} == {"prod-eu": 0, "staging-eu": 0}
    assert tree(out) == files  # same content and untouched modification times


def test_team_clusters_limit_where_it_renders(inventory, tmp_path):
    out = tmp_path / "rendered"
    render(inventory, out)
    for name, (_path, team) in example_teams(inventory).items():
        namespace = team.get("namespace", name)
        for cluster in ("prod-eu", "staging-eu"):
            present = any((out / cluster / "manifests").glob("*/*-%s-*.yaml" % name))
            expected = "clusters" not in team or cluster in team["clusters"]
            assert present == expected, (name, cluster)
            if expected:
                assert (out / cluster / "manifests" / namespace).is_dir()


def test_removing_a_team_file_offboards_exactly_that_team(inventory, tmp_path):
    out = tmp_path / "rendered"
    render(inventory, out)
    before = tree(out)
    teams = example_teams(inventory)
    gone, (path, _team) = sorted(teams.items())[0]
    path.unlink()
    # A file nobody generated, next to rendered ones, must survive offboarding.
    (out / "prod-eu" / "manifests" / "hand-written.yaml").write_text("kind: Note\n")
    render(inventory, out)
    after = tree(out)
    removed = set(before) - set(after)
    assert removed, "offboarding removed nothing"
    for rel in removed:
        obj = yaml.safe_load(before[rel][0])
        assert obj["metadata"]["labels"]["vigil.observability/team"] == gone
    for rel in set(before) & set(after):
        if rel.endswith((".vigil-index.json", "/helm/kube-prometheus-stack.values.yaml", "/catalog/index.html")) or "/alertmanager/" in rel:
            continue  # the Alertmanager configuration (also in the stack's values) and the catalogue hold every team: below
        assert after[rel] == before[rel], rel  # other teams untouched, same mtime
    for cluster in ("prod-eu", "staging-eu"):
        config = yaml.safe_load(after[cluster + "/alertmanager/alertmanager.yaml"][0])
        receivers = [r["name"] for r in config["receivers"]]
        assert not [name for name in receivers if name.startswith(gone + "-")], receivers
        values = yaml.safe_load(after[cluster + "/helm/kube-prometheus-stack.values.yaml"][0])
        assert values["alertmanager"]["config"] == config
        page = after[cluster + "/catalog/index.html"][0]
        assert 'id="team-%s"' % gone not in page and 'id="team-%s"' % gone in before[cluster + "/catalog/index.html"][0]
    assert "prod-eu/manifests/hand-written.yaml" in after
    for rel in after:
        if rel.endswith(".yaml") and "/manifests/" in rel and not rel.endswith("hand-written.yaml"):
            labels = yaml.safe_load(after[rel][0])["metadata"]["labels"]
            assert labels.get("vigil.observability/team") != gone


def test_check_mode_reports_and_writes_nothing_and_diff_shows_content(inventory, tmp_path):
    out = tmp_path / "rendered"
    proc = render(inventory, out, "--check", "--diff")
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))
    changed = recap(proc.stdout)
    assert changed["prod-eu"]["changed"] >= 1
    assert "PrometheusRule" in proc.stdout  # the diff carries the would-be file content

    render(inventory, out)
    proc = render(inventory, out, "--check", "--diff")
    assert all(h["changed"] == 0 for h in recap(proc.stdout).values())


def test_bad_input_fails_with_every_path_before_writing(inventory, tmp_path):
    out = tmp_path / "rendered"
    render(inventory, out)
    before = tree(out)
    bad = inventory / "group_vars" / "all" / "team_broken.yml"
    bad.write_text(yaml.safe_dump({
        "observability_team_broken": {
            "services": [{
                "name": "api",
                "monitr": {},
                "slos": [
                    {"name": "ok", "objective": 99, "errors": 'x{a="1"}', "total": "x"},
                    {"name": "bad", "objective": 120, "errors": 'x{a="1"}', "total": "x"},
                    {"name": "inj", "objective": 99, "errors": 'x{a="1"} or vector(1)', "total": "x"},
                ],
            }],
        },
    }))
    proc = render(inventory, out, check=False)
    assert proc.returncode != 0
    text = proc.stdout + proc.stderr
    assert "observability_team_broken.services[0].slos[1].objective: must be between 0 and 100 (exclusive), got 120" in text
    assert "observability_team_broken.services[0].monitr: unknown key" in text
    assert "observability_team_broken.services[0].slos[2].errors" in text
    assert tree(out) == before  # nothing written, nothing pruned


def test_playbook_runs_by_fqcn(inventory, tmp_path):
    out = tmp_path / "rendered"
    proc = run_playbook("vigil.observability.site", inventory, "-e", "observability_render_dir=%s" % out)
    assert recap(proc.stdout)["prod-eu"]["failed"] == 0
    assert any(out.rglob("prometheusrule-*.yaml"))


def test_lint_warnings_are_printed_before_anything_is_written(inventory, tmp_path):
    out = tmp_path / "rendered"
    # A 14.4x page tier cannot fire at 90 %: a warning, not an error.
    (inventory / "group_vars" / "all" / "team_lax.yml").write_text(yaml.safe_dump({"observability_team_lax": {
        "services": [{"name": "api", "slos": [
            {"name": "availability", "objective": 90, "errors": 'x{code="500"}', "total": "x"}]}]}}))
    proc = render(inventory, out, merge_stderr=True)
    text = proc.stdout
    warning = text.find("observability_team_lax.services[0].slos[0]: the page tier")
    assert warning >= 0, text[-3000:]
    # Printed by the plan, before the first task that writes anything.
    assert 0 <= warning < text.find("TASK [vigil.observability.helm_release : Render")
    assert any(out.rglob("prometheusrule-lax-api-slos.yaml"))
