# -*- coding: utf-8 -*-
"""GitOps output: the rendered tree deploys with Flux or Argo CD, from the same plan as apply mode.

site.yml renders the example inventory with observability_gitops=flux and =argocd. Every GitOps object validates
against the controllers' CRD schemas with unknown fields refused, every kustomization lists exactly the files
beside it, a second render changes nothing, offboarding a team removes its files and their entries, and no secret
value appears. In-process, the plan in render mode with GitOps carries exactly the release values and objects of
the plan in apply mode.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO, copy_example_inventory, example_team_vars, recap, run_playbook, tree


from ansible_collections.vigil.observability.tests.support import plan as plan_helpers
from ansible_collections.vigil.observability.plugins.module_utils.generators import gitops
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import render

SITE = REPO / "playbooks" / "site.yml"
GIT = "https://git.example.com/platform/observability.git"
CONTROLLERS = {
    "flux": ["-e", "observability_gitops=flux", "-e", "observability_gitops_path=clusters/{cluster}"],
    "argocd": ["-e", "observability_gitops=argocd", "-e", "observability_gitops_path=clusters/{cluster}",
               "-e", "observability_gitops_repository=%s" % GIT],
}
VAULT_PLACEHOLDERS = ("PLACEHOLDER", "hunter2")


def load(path):
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def render_site(inventory, out, controller):
    return run_playbook(SITE, inventory, "-e", "observability_render_dir=%s" % out, *CONTROLLERS[controller])


@pytest.fixture(scope="module", params=sorted(CONTROLLERS))
def rendered(request, tmp_path_factory):
    controller = request.param
    tmp = tmp_path_factory.mktemp("gitops-" + controller)
    inventory = copy_example_inventory(tmp / "inventory")
    out = tmp / "out"
    first = render_site(inventory, out, controller)
    before = tree(out)
    second = render_site(inventory, out, controller)
    return {"controller": controller, "inventory": inventory, "out": out, "first": first, "second": second, "before": before,
            "after": tree(out)}


def cluster_dirs(out):
    return sorted(p for p in Path(out).iterdir() if p.is_dir())


def gitops_objects(cluster_dir, controller):
    root = cluster_dir / controller
    return [(p, load(p)) for p in sorted(root.rglob("*.yaml")) if p.name != "kustomization.yaml"]


def test_every_gitops_object_validates_against_the_controllers_crds(rendered, crd_validator):
    kinds = set()
    for cluster in cluster_dirs(rendered["out"]):
        objects = gitops_objects(cluster, rendered["controller"])
        assert objects
        for path, obj in objects:
            assert crd_validator.errors(obj) == [], path
            kinds.add(obj["kind"])
    expected = {"flux": {"HelmRepository", "HelmRelease", "Kustomization"}, "argocd": {"Application", "AppProject"}}
    assert kinds == expected[rendered["controller"]]


def test_each_kustomization_lists_exactly_the_files_beside_it(rendered):
    for cluster in cluster_dirs(rendered["out"]):
        kustomizations = sorted(cluster.rglob("kustomization.yaml"))
        assert cluster / "manifests" / "kustomization.yaml" in kustomizations
        for path in kustomizations:
            listed = load(path)
            assert listed["apiVersion"] == "kustomize.config.k8s.io/v1beta1" and listed["kind"] == "Kustomization"
            # Every YAML file below it, except under a directory with a kustomization of its own.
            present = sorted(str(p.relative_to(path.parent)) for p in path.parent.rglob("*.yaml")
                             if p != path and not (p.parent != path.parent and (p.parent / "kustomization.yaml").exists()))
            assert listed["resources"] == present, path
            for resource in listed["resources"]:
                assert (path.parent / resource).is_file(), (path, resource)


def test_a_second_render_changes_nothing(rendered):
    assert all(h["changed"] == 0 for h in recap(rendered["second"].stdout).values()), rendered["second"].stdout[-3000:]
    assert rendered["after"] == rendered["before"]


def test_no_secret_value_is_in_the_gitops_files(rendered):
    for cluster in cluster_dirs(rendered["out"]):
        for path in sorted((cluster / rendered["controller"]).rglob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            assert not any(value in text for value in VAULT_PLACEHOLDERS), path
            assert "kind: Secret" not in text
        assert not list(cluster.rglob("manifests/**/secret-*.yaml"))


def test_the_releases_carry_the_rendered_values_and_their_order(rendered):
    controller = rendered["controller"]
    for cluster in cluster_dirs(rendered["out"]):
        records = load(cluster / "helm" / "releases.yaml")["releases"]
        assert records
        for record in records:
            values = load(cluster / "helm" / ("%s.values.yaml" % record["release"]))
            if controller == "flux":
                release = load(cluster / "flux" / "platform" / ("helmrelease-%s.yaml" % record["release"]))
                assert release["spec"]["values"] == values
                chart = release["spec"]["chart"]["spec"]
                assert (chart["chart"], chart["version"]) == (record["chart"], record["version"])
                assert release["spec"]["targetNamespace"] == record["namespace"]
                assert release["spec"]["install"]["crds"] == release["spec"]["upgrade"]["crds"] == "CreateReplace"
                repository = load(cluster / "flux" / "platform" / ("helmrepository-%s.yaml" % record["release"]))
                assert repository["spec"]["url"] == record["repository"] and chart["sourceRef"]["name"] == repository["metadata"]["name"]
                needs = [d["name"] for d in release["spec"].get("dependsOn", [])]
                assert ("kube-prometheus-stack" in needs) == (record["release"] != "kube-prometheus-stack")
            else:
                app = load(cluster / "argocd" / "apps" / ("%s.yaml" % record["release"]))
                source = app["spec"]["source"]
                assert source["helm"]["valuesObject"] == values
                assert (source["chart"], source["targetRevision"], source["repoURL"]) == (record["chart"], record["version"], record["repository"])
                assert app["spec"]["destination"]["namespace"] == record["namespace"]
                wave = int(app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
                manifests_wave = int(load(cluster / "argocd" / "manifests.yaml")["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"])
                assert wave < manifests_wave
                if record["release"] != "kube-prometheus-stack":
                    kps = load(cluster / "argocd" / "apps" / "kube-prometheus-stack.yaml")
                    assert int(kps["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]) < wave
        if controller == "flux":
            manifests = load(cluster / "flux" / "kustomization-vigil-manifests.yaml")["spec"]
            platform = load(cluster / "flux" / "kustomization-vigil-platform.yaml")["spec"]
            assert manifests["dependsOn"] == [{"name": "vigil-platform", "namespace": "flux-system"}] and platform["wait"] is True
            assert manifests["path"] == "./clusters/%s/manifests" % cluster.name
            assert platform["path"] == "./clusters/%s/flux/platform" % cluster.name


@pytest.mark.parametrize("rendered", ["argocd"], indirect=True)
def test_the_argocd_project_is_limited_to_the_clusters_namespaces(rendered):
    for cluster in cluster_dirs(rendered["out"]):
        project = load(cluster / "argocd" / "appproject.yaml")["spec"]
        manifests = [load(p) for p in sorted((cluster / "manifests").rglob("*.yaml")) if p.name != "kustomization.yaml"]
        namespaces = {o["metadata"]["namespace"] for o in manifests if o["metadata"].get("namespace")}
        namespaces |= {r["namespace"] for r in load(cluster / "helm" / "releases.yaml")["releases"]}
        assert sorted(d["namespace"] for d in project["destinations"]) == sorted(namespaces)
        assert "*" not in str(project["destinations"])
        allowed = {(k["group"], k["kind"]) for k in project["clusterResourceWhitelist"]}
        for obj in manifests:
            if not obj["metadata"].get("namespace"):
                group = obj["apiVersion"].rsplit("/", 1)[0] if "/" in obj["apiVersion"] else ""
                assert (group, obj["kind"]) in allowed, obj["kind"]
        assert GIT in project["sourceRepos"]
        app = load(cluster / "argocd" / "manifests.yaml")["spec"]
        assert app["source"] == {"repoURL": GIT, "targetRevision": "main", "path": "clusters/%s/manifests" % cluster.name}


def test_offboarding_a_team_removes_its_files_and_entries(rendered):
    out, inventory = rendered["out"], rendered["inventory"]
    cluster = cluster_dirs(out)[0]
    team_dir = cluster / "manifests" / "checkout"
    assert team_dir.is_dir()
    assert any(r.startswith("checkout/") for r in load(cluster / "manifests" / "kustomization.yaml")["resources"])
    (Path(inventory) / "group_vars" / "all" / "team_checkout.yml").unlink()
    render_site(inventory, out, rendered["controller"])
    assert not team_dir.exists()
    resources = load(cluster / "manifests" / "kustomization.yaml")["resources"]
    assert not [r for r in resources if r.startswith("checkout/") or r == "_cluster/namespace-checkout.yaml"]
    assert all((cluster / "manifests" / r).is_file() for r in resources)
    if rendered["controller"] == "argocd":
        assert "checkout" not in [d["namespace"] for d in load(cluster / "argocd" / "appproject.yaml")["spec"]["destinations"]]


# ---------------------------------------------------------------------------------------------
# The same plan as apply mode


def _plans(controller):
    team_vars = example_team_vars()
    clusters = ("prod-eu", "staging-eu")
    apply_plan = plan_helpers.build(dict(team_vars, observability_mode="apply"), cluster="prod-eu", clusters=clusters)
    extra = {"observability_gitops": controller, "observability_gitops_path": "clusters/{cluster}"}
    if controller == "argocd":
        extra["observability_gitops_repository"] = GIT
    render_plan = plan_helpers.build(dict(team_vars, observability_mode="render", **extra), cluster="prod-eu", clusters=clusters)
    return apply_plan, render_plan


@pytest.mark.parametrize("controller", sorted(CONTROLLERS))
def test_gitops_objects_carry_exactly_what_apply_mode_applies(controller):
    apply_plan, render_plan = _plans(controller)
    files = {rel: data for scope in render_plan["scopes"].values() for rel, data in scope["files"].items()}
    crd_releases = [r for r in gitops.CRD_COMPONENTS if r in apply_plan["releases"]]
    assert crd_releases
    for component, release in apply_plan["releases"].items():
        if release["state"] != "present":
            continue
        name = release["release"]
        if controller == "flux":
            obj = files["flux/platform/helmrelease-%s.yaml" % name]
            assert obj["spec"]["values"] == release["values"]
            assert obj["spec"]["chart"]["spec"]["version"] == release["version"] and obj["spec"]["timeout"] == release["timeout"]
        else:
            obj = files["argocd/apps/%s.yaml" % name]
            assert obj["spec"]["source"]["helm"]["valuesObject"] == release["values"], component
    # The manifests' kustomization lists one file for every object apply mode applies, and no other.
    applied = [obj for scope in apply_plan["scopes"].values() for obj in scope["objects"]]
    paths = [rel for scope in render_plan["scopes"].values() for rel in render.object_files(scope["objects"])]
    made = gitops.cluster_files(render_plan["gitops"], render_plan["cluster"], paths,
                                [r for s in render_plan["scopes"].values() for r in s["releases"]])
    listed = made["manifests/kustomization.yaml"]["resources"]
    assert sorted("manifests/" + r for r in listed) == sorted(render.object_files(applied))
    assert len(listed) == len(applied)


@pytest.mark.parametrize("variables, expected", [
    ({"observability_mode": "apply", "observability_gitops": "flux"},
     "observability_gitops: flux is for render mode"),
    ({"observability_gitops": "argocd"},
     "observability_gitops_repository: is required with observability_gitops: argocd"),
    ({"observability_gitops": "flux", "observability_render_secret_values": True},
     "observability_render_secret_values: must be false with observability_gitops: Secret values are never committed"),
    ({"observability_gitops": "flux", "observability_gitops_path": "../outside"},
     "observability_gitops_path: must be a path inside the repository"),
    ({"observability_gitops": "flux", "observability_render_dir": "/srv/render"},
     "observability_gitops_path: is required when observability_render_dir (/srv/render) is not a path inside the repository"),
    ({"observability_gitops": "kustomize"},
     "observability_gitops: must be one of none, flux, argocd"),
    ({"observability_gitops": "argocd", "observability_gitops_repository": "not a url"},
     "observability_gitops_repository: must be a git URL"),
])
def test_bad_gitops_settings_are_refused_with_their_path(variables, expected):
    found = plan_helpers.problems(variables)
    assert any(line.startswith(expected) for line in found), found


# ---------------------------------------------------------------------------------------------
# What stays with Ansible: the receivers' Secrets


def test_the_secrets_playbook_applies_only_the_receivers_secrets_with_their_values(tmp_path):
    """Against a real API server (scripts/control_plane.py): the Secret and its namespace, applied server-side."""
    from kubernetes import client, config  # pylint: disable=import-outside-toplevel

    control_plane = REPO / "scripts" / "control_plane.py"
    plane = tmp_path / "control-plane"
    started = subprocess.run([sys.executable, str(control_plane), "start", "--dir", str(plane), "--clusters", "prod-eu", "--groups", ""],
                             capture_output=True, text=True, timeout=600, check=False)
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        inventory = copy_example_inventory(tmp_path / "inventory")
        # A GitOps inventory: Flux deploys the rendered tree; this play brings what the tree never holds.
        (Path(inventory) / "group_vars" / "all" / "gitops.yml").write_text(
            "observability_gitops: flux\nobservability_gitops_path: clusters/{cluster}\n", encoding="utf-8")
        inventory_text = "".join(p.read_text(encoding="utf-8") for p in Path(inventory).rglob("*.yml"))
        proc = run_playbook(REPO / "playbooks" / "secrets.yml", inventory, "--limit", "prod-eu",
                            "-e", "observability_kubeconfig=%s" % (plane / "kubeconfig"), "-e", "observability_kube_context=prod-eu-admin")
        core = client.CoreV1Api(config.new_client_from_config(str(plane / "kubeconfig"), context="prod-eu-admin"))
        ours = [s for s in core.list_secret_for_all_namespaces().items
                if any(f.manager == "vigil.observability" for f in s.metadata.managed_fields or [])]
        assert [(s.metadata.namespace, s.metadata.name) for s in ours] == [("monitoring", "vigil-alertmanager-receivers")]
        values = {k: base64.b64decode(v).decode("utf-8") for k, v in ours[0].data.items()}
        assert values and all(v and v in inventory_text for v in values.values())
        # Server-side apply by the collection's field manager; its namespace created with it (a namespace applied with its
        # name only owns no field, so the API server keeps no managed-fields entry for it).
        managers = [(f.manager, f.operation) for f in ours[0].metadata.managed_fields]
        assert managers == [("vigil.observability", "Apply")], managers
        assert core.read_namespace("monitoring").status.phase == "Active"
        assert not any(v in proc.stdout + proc.stderr for v in values.values())
    finally:
        subprocess.run([sys.executable, str(control_plane), "stop", "--dir", str(plane)], capture_output=True, timeout=120, check=False)
