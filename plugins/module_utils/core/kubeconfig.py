# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which cluster a host reaches: the kubeconfig, context and server that kubernetes.core will use.

kubernetes.core (module_utils/k8s/client.py) decides in this order, each module parameter falling back to its
K8S_AUTH_* environment variable:
  1. a host with an API key, a user and password, or a client certificate: kubeconfig and context are not read;
  2. a kubeconfig or a context: that kubeconfig (else $KUBECONFIG, else ~/.kube/config) and that context (else
     the kubeconfig's current-context);
  3. neither: the pod's in-cluster account when there is one, else as 2.
The roles pass `observability_kubeconfig` and `observability_kube_context` as the parameters. This module repeats
that decision without connecting, so that a run names the cluster each host will reach, and apply mode fails
before anything is applied when two cluster hosts would reach the same API server or a context does not exist.
Nothing secret is returned: no token, password, certificate or key.
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, Sequence, Tuple

ENV = {
    "kubeconfig": "K8S_AUTH_KUBECONFIG",
    "context": "K8S_AUTH_CONTEXT",
    "host": "K8S_AUTH_HOST",
    "api_key": "K8S_AUTH_API_KEY",
    "username": "K8S_AUTH_USERNAME",
    "password": "K8S_AUTH_PASSWORD",
    "cert_file": "K8S_AUTH_CERT_FILE",
    "key_file": "K8S_AUTH_KEY_FILE",
}
PARAMS = {"kubeconfig": "observability_kubeconfig", "context": "observability_kube_context"}
DEFAULT_KUBECONFIG = "~/.kube/config"

Problem = Tuple[str, str]


def _source(name: str) -> str:
    """How a problem names an option: the inventory variable when there is one, else the environment variable."""
    return PARAMS.get(name) or "%s (environment)" % ENV[name]


def auth_inputs(params: Mapping[str, Any], environ: Mapping[str, str]) -> Dict[str, Tuple[str, str]]:
    """{auth option: (value, where it came from)} as kubernetes.core sees them: the parameter, else its variable."""
    out = {}
    for name, variable in ENV.items():
        value = params.get(name) if name in PARAMS else None
        if value:
            out[name] = (str(value), PARAMS[name])
        elif environ.get(variable):
            out[name] = (environ[variable], "%s (environment)" % variable)
    return out


def kubeconfig_files(inputs: Mapping[str, Tuple[str, str]], environ: Mapping[str, str], home: str) -> Tuple[List[str], str]:
    """The kubeconfig files the kubernetes client would read, first wins, and where the choice came from."""
    if "kubeconfig" in inputs:
        value, source = inputs["kubeconfig"]
        return [_expand(value, home)], source
    if environ.get("KUBECONFIG"):
        return [_expand(p, home) for p in environ["KUBECONFIG"].split(os.pathsep) if p], "KUBECONFIG (environment)"
    return [_expand(DEFAULT_KUBECONFIG, home)], "the default %s" % DEFAULT_KUBECONFIG


def _expand(path: str, home: str) -> str:
    return home + path[1:] if path == "~" or path.startswith("~/") else path


def resolve(params: Mapping[str, Any], environ: Mapping[str, str], documents: Mapping[str, Any], home: str,
            clusters: int = 1) -> Tuple[Dict[str, Any], List[Problem]]:
    """(connection, problems) of one host.

    `params`: the host's observability_kubeconfig and observability_kube_context (as kubeconfig and context);
    `environ`: the controller's environment (AWX injects a credential's variables there); `documents`: each path
    kubeconfig_files returned, parsed, or None when the file does not exist, or an error text; `clusters`: how many
    cluster hosts the run has (one API server for all of them is a mistake when there are several).
    """
    inputs = auth_inputs(params, environ)
    problems: List[Problem] = []
    direct = _direct(inputs)
    if direct:
        host, source = inputs["host"]
        conn = {"server": host.rstrip("/"), "server_from": source, "kubeconfig": None, "context": None, "cluster": None}
        for name in ("kubeconfig", "context"):
            if name in inputs and inputs[name][1] in PARAMS.values():
                problems.append((inputs[name][1], "%s is not used: %s (environment) take precedence, so this host would reach "
                                 "%s whatever its %s. Use a kubeconfig credential with one context per cluster instead of a "
                                 "bearer token (docs/awx.md)" % (inputs[name][0], " and ".join(direct), conn["server"], name)))
        if clusters > 1 and not problems:
            problems.append((_source("host"), "with %s set, every one of the %d cluster hosts reaches %s: give each host "
                             "its context (observability_kube_context) in a kubeconfig credential instead (docs/awx.md)"
                             % (" and ".join(direct), clusters, conn["server"])))
        return conn, problems
    if "kubeconfig" not in inputs and "context" not in inputs and environ.get("KUBERNETES_SERVICE_HOST"):
        server = "https://%s:%s" % (environ["KUBERNETES_SERVICE_HOST"], environ.get("KUBERNETES_SERVICE_PORT", "443"))
        conn = {"server": server, "server_from": "the pod's in-cluster service account", "kubeconfig": None,
                "context": None, "cluster": None}
        if clusters > 1:
            problems.append((PARAMS["context"], "not set: kubernetes.core then uses the in-cluster account of the pod the "
                             "job runs in, so every one of the %d cluster hosts reaches %s. Set each host's "
                             "observability_kube_context and a kubeconfig (docs/awx.md)" % (clusters, server)))
        return conn, problems
    files, files_from = kubeconfig_files(inputs, environ, home)
    merged, file_problems = _merge(files, files_from, documents, inputs)
    problems.extend(file_problems)
    conn = {"kubeconfig": os.pathsep.join(files), "kubeconfig_from": files_from, "context": None, "cluster": None,
            "server": None, "server_from": None}
    if file_problems:
        return conn, problems
    if "context" in inputs:
        context, context_from = inputs["context"]
    else:
        context, context_from = merged["current-context"], "the kubeconfig's current-context"
    conn.update(context=context, context_from=context_from)
    where = _source("context") if "context" in inputs else conn["kubeconfig_from"]
    if not context:
        problems.append((where, "no context: %s has no current-context; set observability_kube_context" % conn["kubeconfig"]))
        return conn, problems
    entry = merged["contexts"].get(context)
    if entry is None:
        known = ", ".join(sorted(merged["contexts"])) or "none"
        problems.append((where, "%s is not a context of %s (its contexts: %s)" % (context, conn["kubeconfig"], known)))
        return conn, problems
    cluster_name = entry.get("cluster") if isinstance(entry, dict) else None
    cluster = merged["clusters"].get(cluster_name) if cluster_name else None
    server = cluster.get("server") if isinstance(cluster, dict) else None
    conn.update(cluster=cluster_name, server=server, server_from="cluster %s of context %s" % (cluster_name, context))
    if not server:
        problems.append((where, "context %s names cluster %s, which %s has %s" % (
            context, cluster_name, conn["kubeconfig"], "without a server" if cluster else "not")))
    return conn, problems


def _direct(inputs: Mapping[str, Tuple[str, str]]) -> List[str]:
    """The variables that give kubernetes.core enough to authenticate without any kubeconfig, if they do."""
    for names in (("host", "api_key"), ("host", "username", "password"), ("host", "cert_file", "key_file")):
        if all(n in inputs for n in names):
            return [inputs[n][1].replace(" (environment)", "") for n in names]
    return []


def _merge(files: Sequence[str], files_from: str, documents: Mapping[str, Any],
           inputs: Mapping[str, Tuple[str, str]]) -> Tuple[Dict[str, Any], List[Problem]]:
    """Contexts and clusters of every file, the first file naming one winning (the kubernetes client's merge)."""
    where = inputs["kubeconfig"][1] if "kubeconfig" in inputs else files_from
    merged: Dict[str, Any] = {"contexts": {}, "clusters": {}, "current-context": None}
    problems: List[Problem] = []
    readable = 0
    for path in files:
        doc = documents.get(path)
        if doc is None:
            continue
        if isinstance(doc, str) or not isinstance(doc, dict):
            problems.append((where, "%s is not a kubeconfig: %s" % (path, doc if isinstance(doc, str) else "not a mapping")))
            continue
        readable += 1
        for key, field in (("contexts", "context"), ("clusters", "cluster")):
            for item in doc.get(key) or []:
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    merged[key].setdefault(item["name"], item.get(field) if isinstance(item.get(field), dict) else {})
        if not merged["current-context"] and isinstance(doc.get("current-context"), str):
            merged["current-context"] = doc["current-context"]
    if not readable and not problems:
        problems.append((where, "%s: no such file%s" % (os.pathsep.join(files), _hint(files_from))))
    return merged, problems


def _hint(files_from: str) -> str:
    if files_from.startswith("the default"):
        return " (set observability_kubeconfig, or attach a kubeconfig credential in AWX: docs/awx.md)"
    return ""


def describe(conn: Mapping[str, Any], problems: Sequence[Problem] = ()) -> str:
    """One line for the run's output: where this host goes, or why it goes nowhere."""
    if conn.get("server") and conn.get("context"):
        text = "%s: context %s (%s) of %s" % (conn["server"], conn["context"], conn.get("context_from"), conn.get("kubeconfig"))
    elif conn.get("server"):
        text = "%s (%s)" % (conn["server"], conn.get("server_from"))
    else:
        text = "no cluster"
    return text + "".join("; %s: %s" % pair for pair in problems)
