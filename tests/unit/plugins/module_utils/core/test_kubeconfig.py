# -*- coding: utf-8 -*-
"""Which cluster each host reaches, decided as kubernetes.core decides it (core/kubeconfig.py), without connecting."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.core import kubeconfig

HOME = "/home/runner"
TOKEN = "eyJhbGciOi-secret-token"


def config(*clusters, current=None):
    """A kubeconfig with one context `<name>-admin` per cluster `<name>` at https://<name>.example:6443."""
    return {
        "apiVersion": "v1", "kind": "Config", "current-context": current,
        "clusters": [{"name": c, "cluster": {"server": "https://%s.example:6443" % c, "certificate-authority-data": "Q0E="}} for c in clusters],
        "contexts": [{"name": "%s-admin" % c, "context": {"cluster": c, "user": "%s-admin" % c}} for c in clusters],
        "users": [{"name": "%s-admin" % c, "user": {"token": TOKEN}} for c in clusters],
    }


def resolve(params, environ, documents, clusters=2):
    return kubeconfig.resolve(params, environ, documents, HOME, clusters=clusters)


def test_one_injected_kubeconfig_and_a_context_per_host_reach_one_server_each():
    environ = {"K8S_AUTH_KUBECONFIG": "/runner/env/tmp_kubeconfig"}
    documents = {"/runner/env/tmp_kubeconfig": config("prod-eu", "prod-us")}
    servers = {}
    for host in ("prod-eu", "prod-us"):
        conn, problems = resolve({"kubeconfig": "", "context": "%s-admin" % host}, environ, documents)
        assert problems == []
        assert conn["kubeconfig"] == "/runner/env/tmp_kubeconfig" and conn["kubeconfig_from"] == "K8S_AUTH_KUBECONFIG (environment)"
        assert conn["context_from"] == "observability_kube_context" and conn["cluster"] == host
        servers[host] = conn["server"]
    assert servers == {"prod-eu": "https://prod-eu.example:6443", "prod-us": "https://prod-us.example:6443"}


def test_nothing_secret_is_returned():
    conn, _problems = resolve({"context": "prod-eu-admin"}, {"K8S_AUTH_KUBECONFIG": "/k"}, {"/k": config("prod-eu")})
    assert TOKEN not in repr(conn) and "Q0E=" not in repr(conn)


def test_a_bearer_token_credential_overrides_every_context_and_is_refused():
    # AWX's "OpenShift or Kubernetes API Bearer Token" injects these: kubernetes.core then never reads a kubeconfig.
    environ = {"K8S_AUTH_HOST": "https://one.example:6443/", "K8S_AUTH_API_KEY": TOKEN, "K8S_AUTH_KUBECONFIG": "/k"}
    conn, problems = resolve({"context": "prod-us-admin"}, environ, {"/k": config("prod-eu", "prod-us")})
    assert conn["server"] == "https://one.example:6443" and conn["context"] is None
    assert [p for p, _m in problems] == ["observability_kube_context"]
    assert "K8S_AUTH_HOST and K8S_AUTH_API_KEY" in problems[0][1] and "one.example" in problems[0][1]
    assert TOKEN not in repr(problems) + repr(conn)
    # Without a context either, several cluster hosts would all reach it.
    _conn, problems = resolve({}, {"K8S_AUTH_HOST": "https://one.example", "K8S_AUTH_API_KEY": TOKEN}, {})
    assert [p for p, _m in problems] == ["K8S_AUTH_HOST (environment)"] and "every one of the 2 cluster hosts" in problems[0][1]
    # One cluster host with a token is a valid setup.
    assert resolve({}, {"K8S_AUTH_HOST": "https://one.example", "K8S_AUTH_API_KEY": TOKEN}, {}, clusters=1)[1] == []


def test_a_host_without_a_token_does_not_bypass_the_kubeconfig():
    conn, problems = resolve({"context": "prod-eu-admin"}, {"K8S_AUTH_HOST": "https://x", "K8S_AUTH_KUBECONFIG": "/k"},
                             {"/k": config("prod-eu")})
    assert problems == [] and conn["server"] == "https://prod-eu.example:6443"


def test_a_missing_kubeconfig_names_where_its_path_came_from():
    conn, problems = resolve({"kubeconfig": "~/.kube/config", "context": "x"}, {}, {"/home/runner/.kube/config": None})
    assert conn["kubeconfig"] == "/home/runner/.kube/config"
    assert problems == [("observability_kubeconfig", "/home/runner/.kube/config: no such file")]
    _conn, problems = resolve({}, {}, {})
    assert problems[0][0] == "the default ~/.kube/config" and "attach a kubeconfig credential" in problems[0][1]


def test_an_unknown_context_lists_the_known_ones():
    _conn, problems = resolve({"context": "prod-ap-admin"}, {"K8S_AUTH_KUBECONFIG": "/k"}, {"/k": config("prod-eu", "prod-us")})
    assert problems == [("observability_kube_context", "prod-ap-admin is not a context of /k (its contexts: prod-eu-admin, prod-us-admin)")]


def test_the_current_context_is_used_when_none_is_set_and_its_absence_is_a_problem():
    conn, problems = resolve({}, {"KUBECONFIG": "/k"}, {"/k": config("a", "b", current="b-admin")}, clusters=1)
    assert problems == [] and conn["context"] == "b-admin" and conn["context_from"] == "the kubeconfig's current-context"
    _conn, problems = resolve({}, {"KUBECONFIG": "/k"}, {"/k": config("a")}, clusters=1)
    assert problems and problems[0][0] == "KUBECONFIG (environment)" and "no current-context" in problems[0][1]


def test_kubeconfig_lists_merge_first_file_first_and_the_parameter_beats_the_environment():
    first, second = config("a", current="a-admin"), config("a", "b")
    second["clusters"][0]["cluster"]["server"] = "https://elsewhere"
    conn, problems = resolve({"context": "a-admin"}, {"KUBECONFIG": "/one:/two"}, {"/one": first, "/two": second})
    assert problems == [] and conn["server"] == "https://a.example:6443"
    conn, problems = resolve({"context": "b-admin"}, {"KUBECONFIG": "/one:/two"}, {"/one": first, "/two": second})
    assert problems == [] and conn["server"] == "https://b.example:6443"
    conn, _problems = resolve({"kubeconfig": "/p", "context": "a-admin"}, {"K8S_AUTH_KUBECONFIG": "/e"}, {"/p": config("a")})
    assert conn["kubeconfig"] == "/p" and conn["kubeconfig_from"] == "observability_kubeconfig"


def test_the_in_cluster_account_serves_one_cluster_only():
    environ = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    conn, problems = resolve({}, environ, {}, clusters=1)
    assert conn["server"] == "https://10.0.0.1:443" and problems == []
    _conn, problems = resolve({}, environ, {}, clusters=2)
    assert [p for p, _m in problems] == ["observability_kube_context"]
    # A context makes kubernetes.core read the kubeconfig instead, in a pod too.
    conn, problems = resolve({"context": "a-admin"}, dict(environ, K8S_AUTH_KUBECONFIG="/k"), {"/k": config("a")})
    assert problems == [] and conn["server"] == "https://a.example:6443"


@pytest.mark.parametrize("document, message", [
    ("not valid YAML (line 3)", "/k is not a kubeconfig: not valid YAML (line 3)"),
    (["a list"], "/k is not a kubeconfig: not a mapping"),
])
def test_an_unreadable_kubeconfig_is_a_problem(document, message):
    _conn, problems = resolve({"context": "a"}, {"K8S_AUTH_KUBECONFIG": "/k"}, {"/k": document})
    assert problems == [("K8S_AUTH_KUBECONFIG (environment)", message)]


def test_a_context_without_its_cluster_is_a_problem():
    doc = config("a")
    doc["clusters"] = []
    _conn, problems = resolve({"context": "a-admin"}, {"K8S_AUTH_KUBECONFIG": "/k"}, {"/k": doc})
    assert problems == [("observability_kube_context", "context a-admin names cluster a, which /k has not")]


def test_describe_says_where_the_host_goes():
    conn, problems = resolve({"context": "a-admin"}, {"K8S_AUTH_KUBECONFIG": "/k"}, {"/k": config("a")})
    assert kubeconfig.describe(conn, problems) == "https://a.example:6443: context a-admin (observability_kube_context) of /k"
    conn, problems = resolve({"context": "z"}, {"K8S_AUTH_KUBECONFIG": "/k"}, {"/k": config("a")})
    assert kubeconfig.describe(conn, problems).startswith("no cluster; observability_kube_context: z is not a context")
