# -*- coding: utf-8 -*-
"""The execution environment definition builds: `ansible-builder create` makes its context, and the context holds
what AWX needs. No container engine runs here, so the build's own steps are checked where they can be run without
one: the galaxy stage's collection install from the context's _build directory, and ansible-builder's own
introspection of the installed collection's Python and system requirements.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from ansible_collections.vigil.observability.tests.support.playbook_helpers import REPO

BIN = REPO / ".venv" / "bin"
EE_FILE = REPO / "execution-environment" / "execution-environment.yml"


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path):
    """{package: version} of a requirements file, and the lines that are not `name==version`."""
    found, loose = {}, []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9_.\-]*)==([0-9][A-Za-z0-9.+\-]*)", line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
        else:
            loose.append(line)
    return found, loose


def clean_env():
    """The environment without Ansible's settings: the build container has none (pytest's collection path least of all)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    if not (BIN / "ansible-builder").exists():
        pytest.fail("ansible-builder is missing from .venv: run make setup")
    out = tmp_path_factory.mktemp("ee") / "context"
    proc = subprocess.run(["bash", str(REPO / "scripts" / "ee-context.sh"), str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="module")
def containerfile(context):
    return (context / "Containerfile").read_text(encoding="utf-8")


def test_the_collection_goes_in_as_a_built_tarball_of_this_checkout(context):
    tarball = context / "_build" / "collections" / "vigil-observability.tar.gz"
    assert tarball.is_file()
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
    assert (manifest["namespace"], manifest["name"], manifest["version"]) == (galaxy["namespace"], galaxy["name"], galaxy["version"])
    for path in ("roles/observability/tasks/main.yml", "plugins/action/plan.py", "playbooks/site.yml", "meta/runtime.yml",
                 "meta/execution-environment.yml", "meta/ee-requirements.txt"):
        assert path in names, path
    assert not any(n.startswith((".venv", ".cache", "rendered/", ".git/")) for n in names)
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))["collections"]
    ours = [c for c in requirements if "vigil" in c["name"] or c.get("type") in ("dir", "file")]
    # A path the build container can resolve: relative to /build, where the context's _build directory is copied.
    assert ours == [{"name": "collections/vigil-observability.tar.gz", "type": "file"}]
    assert "COPY _build /build" in (context / "Containerfile").read_text(encoding="utf-8")
    assert all(c.get("version") for c in requirements if c not in ours), "every Galaxy collection pinned"


def test_the_galaxy_stage_installs_the_tarball_from_the_build_directory(context, tmp_path):
    # As the galaxy stage does (WORKDIR /build, ansible-galaxy collection install -r requirements.yml), for our entry:
    # Galaxy itself is unreachable here, so kubernetes.core and awx.awx are left out, and with them dependencies.
    build = tmp_path / "build"
    shutil.copytree(context / "_build", build)
    requirements = yaml.safe_load((build / "requirements.yml").read_text(encoding="utf-8"))["collections"]
    (build / "ours.yml").write_text(yaml.safe_dump({"collections": [c for c in requirements if c.get("type") == "file"]}), encoding="utf-8")
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "-r", "ours.yml", "--no-deps",
                           "--collections-path", str(tmp_path / "collections")], cwd=build, capture_output=True, text=True,
                          timeout=300, check=False, env=clean_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = tmp_path / "collections" / "ansible_collections" / "vigil" / "observability"
    assert (installed / "roles" / "helm_release" / "tasks" / "preflight.yml").is_file(), proc.stdout
    # ansible-builder's own introspection (the builder stage) finds the collection's pinned requirements.
    out = tmp_path / "pip.txt"
    proc = subprocess.run([str(BIN / "python"), str(build / "scripts" / "introspect.py"), "introspect", str(tmp_path / "collections"),
                           "--write-pip", str(out), "--write-bindep", str(tmp_path / "bindep.txt")], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wanted, _loose = pins(REPO / "meta" / "ee-requirements.txt")
    got, loose = pins(out)
    assert not loose, loose
    assert {k: v for k, v in got.items() if k in wanted} == {k: v for k, v in wanted.items() if k != "pyyaml"}
    assert "prometheus [platform:dpkg]" in (tmp_path / "bindep.txt").read_text(encoding="utf-8")


def test_python_dependencies_are_pinned_to_what_the_tests_run_with():
    wanted, loose = pins(REPO / "meta" / "ee-requirements.txt")
    assert not loose, "every requirement pinned with ==: %s" % loose
    constraints, _loose = pins(REPO / "constraints.txt")
    assert "kubernetes" in wanted
    differ = {k: (v, constraints[k]) for k, v in wanted.items() if k in constraints and constraints[k] != v}
    assert not differ, differ
    # Nothing the roles do not use: jmespath (json_query) is not needed by the collection at run time.
    assert "jmespath" not in wanted and "jsonschema" not in wanted


def test_helm_and_helm_diff_are_pinned_checked_and_where_user_1000_finds_them(containerfile):
    args = dict(re.findall(r"^ARG (HELM\w*)=(\S*)$", containerfile, re.M))
    assert re.fullmatch(r"\d+\.\d+\.\d+", args["HELM_VERSION"]) and re.fullmatch(r"\d+\.\d+\.\d+", args["HELM_DIFF_VERSION"])
    assert re.fullmatch(r"[0-9a-f]{64}", args["HELM_SHA256_AMD64"]) and re.fullmatch(r"[0-9a-f]{64}", args["HELM_SHA256_ARM64"])
    run = next(line for line in containerfile.splitlines() if "get.helm.sh" in line)
    # helm's tarball against the pinned sum (not a checksum file fetched beside it), helm-diff's against its release's.
    assert 'echo "${sum}  helm-v${HELM_VERSION}-linux-${arch}.tar.gz" | sha256sum -c -' in run
    assert "helm-diff_${HELM_DIFF_VERSION}_checksums.txt" in run and '| sha256sum -c -' in run.split("checksums.txt\"", 1)[1]
    assert ".sha256sum" not in run and "helm plugin install" not in containerfile
    # The plugin lands in HELM_PLUGINS, readable by everyone; root's ~/.local/share/helm is never used.
    assert "ENV HELM_PLUGINS=/usr/local/share/helm/plugins" in containerfile
    assert 'tar -xzf "helm-diff-linux-${arch}.tgz" -C "${HELM_PLUGINS}"' in run and 'chmod -R a+rX "${HELM_PLUGINS}"' in run
    assert "/root/" not in containerfile
    # The build checks it as user 1000, and the image runs as 1000.
    lines = containerfile.splitlines()
    check = lines.index("RUN helm version --short && helm plugin list | grep -E '^diff[[:space:]]'")
    assert lines[check - 1] == "USER 1000" and [ln for ln in lines if ln.startswith("USER ")][-1] == "USER 1000"
    # What the helm_release preflight requires.
    defaults = yaml.safe_load((REPO / "roles" / "helm_release" / "defaults" / "main.yml").read_text(encoding="utf-8"))

    def version(text):
        return tuple(int(p) for p in text.split("."))
    assert version(str(defaults["helm_release_helm_min_version"])) <= version(args["HELM_VERSION"]) < version(str(defaults["helm_release_helm_below_version"]))
    assert version(args["HELM_DIFF_VERSION"]) >= version(str(defaults["helm_release_helm_diff_min_version"]))


def test_ansible_core_and_runner_are_pinned_and_the_definition_has_no_path_outside_its_context():
    definition = yaml.safe_load(EE_FILE.read_text(encoding="utf-8"))
    deps = definition["dependencies"]
    assert re.fullmatch(r"ansible-core==[\d.]+", deps["ansible_core"]["package_pip"])
    assert re.fullmatch(r"ansible-runner==[\d.]+", deps["ansible_runner"]["package_pip"])
    text = EE_FILE.read_text(encoding="utf-8") + (REPO / "execution-environment" / "requirements.yml").read_text(encoding="utf-8")
    assert "source: .." not in text and "type: dir" not in text and "../" not in "".join(
        line for line in text.splitlines() if not line.lstrip().startswith("#"))
