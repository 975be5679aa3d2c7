# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GitOps objects for the rendered tree, so that Flux or Argo CD deploys it without Ansible (docs/gitops.md).

Two kinds of files:
- per release, in the release's own scope: Flux's HelmRepository and HelmRelease, or Argo CD's Application, with
  exactly the values apply mode gives helm;
- per cluster, from the render index (which file exists): the kustomization of the manifests, and the objects that
  tie it together (Flux's two Kustomizations, platform then manifests; Argo CD's AppProject and the manifests'
  Application). A second render with nothing changed writes the same bytes.
Secrets are never part of them: the plan refuses GitOps with rendered Secret values.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from ansible_collections.vigil.observability.plugins.module_utils.inventory.settings import GITOPS_CONTROLLERS

# One list of controllers: the settings parse it (inventory layer), these objects follow it.
CONTROLLERS = GITOPS_CONTROLLERS
NONE, FLUX, ARGOCD = CONTROLLERS
FLUX_PLATFORM_DIR = "flux/platform"
ARGOCD_APPS_DIR = "argocd/apps"
MANIFESTS_DIR = "manifests"
MANIFESTS_KUSTOMIZATION = "manifests/kustomization.yaml"
KUSTOMIZE_API = "kustomize.config.k8s.io/v1beta1"
FLUX_HELM_API = "helm.toolkit.fluxcd.io/v2"
FLUX_SOURCE_API = "source.toolkit.fluxcd.io/v1"
FLUX_KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
ARGOCD_API = "argoproj.io/v1alpha1"
# The releases whose CRDs the other releases' and the teams' objects use (ServiceMonitor, PrometheusRule; the
# OpenTelemetry collectors): they go first, as site.yml installs them first.
CRD_COMPONENTS = ("kube_prometheus_stack", "opentelemetry")
# Argo CD sync waves: the CRD releases in that order, the other releases, then the manifests.
WAVE_RELEASES, WAVE_MANIFESTS = -1, 0
# The cluster-scoped kinds the releases and the manifests create (the AppProject allows these and no other).
CLUSTER_KINDS = (
    ("", "Namespace"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("apiregistration.k8s.io", "APIService"),
    ("scheduling.k8s.io", "PriorityClass"),
)
MANAGED_BY = {"app.kubernetes.io/managed-by": "vigil.observability"}


def kustomization(resources: Iterable[str]) -> Dict[str, Any]:
    """A kustomize kustomization.yaml listing `resources` (paths relative to it), sorted."""
    return {"apiVersion": KUSTOMIZE_API, "kind": "Kustomization", "resources": sorted(resources)}


def _meta(name: str, namespace: str, annotations: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    meta: Dict[str, Any] = {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def _oci(url: str) -> bool:
    return url.startswith("oci://")


def release_files(gitops: Mapping[str, Any], cluster: str, release: Mapping[str, Any], crd_releases: Sequence[str]) -> Dict[str, Any]:
    """The GitOps files of one release (a plan release: name, namespace, chart, repository, version, values...)."""
    if gitops["controller"] == FLUX:
        return _flux_release(gitops, release, crd_releases)
    if gitops["controller"] == ARGOCD:
        return _argocd_release(gitops, cluster, release, crd_releases)
    return {}


def _flux_release(gitops, release, crd_releases):
    name, namespace = release["release"], gitops["namespace"]
    repo_spec = {"interval": gitops["interval"], "url": release["repository"]}
    if _oci(release["repository"]):
        repo_spec["type"] = "oci"
    repository = {"apiVersion": FLUX_SOURCE_API, "kind": "HelmRepository", "metadata": _meta(name, namespace), "spec": repo_spec}
    spec: Dict[str, Any] = {
        "interval": gitops["interval"],
        "releaseName": name,
        "targetNamespace": release["namespace"],
        "storageNamespace": release["namespace"],
        "chart": {"spec": {"chart": release["chart"], "version": release["version"], "interval": gitops["interval"],
                           "sourceRef": {"kind": "HelmRepository", "name": name, "namespace": namespace}}},
        "timeout": release["timeout"],
        "maxHistory": release["history_max"],
        # As apply mode: the chart's CRDs are created and upgraded with it (apply mode applies them first, server-side).
        "install": {"crds": "CreateReplace", "createNamespace": True, "remediation": {"retries": 3}},
        "upgrade": {"crds": "CreateReplace", "remediation": {"retries": 3}},
        "driftDetection": {"mode": "enabled"},
        "values": release["values"],
    }
    needs = _before(name, crd_releases)
    if needs:
        spec["dependsOn"] = [{"name": other, "namespace": namespace} for other in needs]
    helm_release = {"apiVersion": FLUX_HELM_API, "kind": "HelmRelease", "metadata": _meta(name, namespace), "spec": spec}
    return {"%s/helmrepository-%s.yaml" % (FLUX_PLATFORM_DIR, name): repository,
            "%s/helmrelease-%s.yaml" % (FLUX_PLATFORM_DIR, name): helm_release}


def _before(name: str, crd_releases: Sequence[str]) -> List[str]:
    """The CRD releases that `name` waits for: those before it, or all of them when it brings no CRDs."""
    order = list(crd_releases)
    return order[:order.index(name)] if name in order else order


def _wave(name: str, crd_releases: Sequence[str]) -> str:
    order = list(crd_releases)
    return str(order.index(name) - len(order) + WAVE_RELEASES) if name in order else str(WAVE_RELEASES)


def app_name(cluster: str, what: str) -> str:
    return "vigil-%s-%s" % (cluster, what)


def project_name(cluster: str) -> str:
    return "vigil-%s" % cluster


def _sync(options: List[str]) -> Dict[str, Any]:
    return {"automated": {"prune": True, "selfHeal": True}, "syncOptions": options}


def _argocd_release(gitops, cluster, release, crd_releases):
    name = release["release"]
    repo = release["repository"]
    source = {
        # Argo CD names an OCI chart repository without its scheme.
        "repoURL": repo[len("oci://"):] if _oci(repo) else repo,
        "chart": release["chart"],
        "targetRevision": release["version"],
        "helm": {"releaseName": name, "valuesObject": release["values"]},
    }
    wave = _wave(name, crd_releases)
    app = {
        "apiVersion": ARGOCD_API, "kind": "Application",
        "metadata": _meta(app_name(cluster, name), gitops["namespace"], {"argocd.argoproj.io/sync-wave": wave}),
        "spec": {
            "project": project_name(cluster),
            "source": source,
            "destination": {"server": gitops["destination"], "namespace": release["namespace"]},
            # Server-side apply: the stack's CRDs are too large for a client-side apply's annotation.
            "syncPolicy": _sync(["CreateNamespace=true", "ServerSideApply=true"]),
        },
    }
    return {"%s/%s.yaml" % (ARGOCD_APPS_DIR, name): app}


def cluster_files(gitops: Mapping[str, Any], cluster: str, paths: Iterable[str], releases: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """The per-cluster GitOps files, from every file the render index holds (`paths`) and the release records."""
    controller = gitops["controller"]
    if controller == NONE:
        return {}
    paths = sorted(set(paths))
    manifests = [p for p in paths if p.startswith(MANIFESTS_DIR + "/") and p != MANIFESTS_KUSTOMIZATION]
    files: Dict[str, Any] = {MANIFESTS_KUSTOMIZATION: kustomization(p[len(MANIFESTS_DIR) + 1:] for p in manifests)}
    root = gitops["path"].strip("/")
    if controller == FLUX:
        platform = [p[len(FLUX_PLATFORM_DIR) + 1:] for p in paths if p.startswith(FLUX_PLATFORM_DIR + "/")
                    and not p.endswith("/kustomization.yaml")]
        files[FLUX_PLATFORM_DIR + "/kustomization.yaml"] = kustomization(platform)
        source = {"kind": "GitRepository", "name": gitops["source"], "namespace": gitops["namespace"]}
        common = {"interval": gitops["interval"], "prune": True, "sourceRef": source, "timeout": gitops["timeout"]}
        files["flux/kustomization-vigil-platform.yaml"] = {
            "apiVersion": FLUX_KUSTOMIZE_API, "kind": "Kustomization", "metadata": _meta("vigil-platform", gitops["namespace"]),
            # wait: ready only when every HelmRelease is, so that the manifests find the CRDs and the stack.
            "spec": dict(common, path="./%s/%s" % (root, FLUX_PLATFORM_DIR), wait=True),
        }
        files["flux/kustomization-vigil-manifests.yaml"] = {
            "apiVersion": FLUX_KUSTOMIZE_API, "kind": "Kustomization", "metadata": _meta("vigil-manifests", gitops["namespace"]),
            "spec": dict(common, path="./%s/%s" % (root, MANIFESTS_DIR),
                         dependsOn=[{"name": "vigil-platform", "namespace": gitops["namespace"]}]),
        }
        files["flux/kustomization.yaml"] = kustomization(["kustomization-vigil-manifests.yaml", "kustomization-vigil-platform.yaml"])
        return files
    apps = [p[len("argocd/"):] for p in paths if p.startswith(ARGOCD_APPS_DIR + "/")]
    namespaces = {r["namespace"] for r in releases}
    namespaces.update(p.split("/")[1] for p in manifests if p.count("/") >= 2 and p.split("/")[1] != "_cluster")
    repos = sorted({r["repository"][len("oci://"):] if _oci(r["repository"]) else r["repository"] for r in releases}
                   | {gitops["repository"]})
    files["argocd/appproject.yaml"] = {
        "apiVersion": ARGOCD_API, "kind": "AppProject",
        "metadata": _meta(project_name(cluster), gitops["namespace"], {"argocd.argoproj.io/sync-wave": "-10"}),
        "spec": {
            "description": "vigil.observability on %s: its releases and manifests, in its namespaces only" % cluster,
            "sourceRepos": repos,
            "destinations": [{"server": gitops["destination"], "namespace": ns} for ns in sorted(namespaces)],
            "clusterResourceWhitelist": [{"group": g, "kind": k} for g, k in CLUSTER_KINDS],
        },
    }
    files["argocd/manifests.yaml"] = {
        "apiVersion": ARGOCD_API, "kind": "Application",
        "metadata": _meta(app_name(cluster, "manifests"), gitops["namespace"], {"argocd.argoproj.io/sync-wave": str(WAVE_MANIFESTS)}),
        "spec": {
            "project": project_name(cluster),
            "source": {"repoURL": gitops["repository"], "targetRevision": gitops["revision"], "path": "%s/%s" % (root, MANIFESTS_DIR)},
            "destination": {"server": gitops["destination"]},
            "syncPolicy": _sync(["ServerSideApply=true"]),
        },
    }
    files["argocd/kustomization.yaml"] = kustomization(["appproject.yaml", "manifests.yaml"] + apps)
    return files
