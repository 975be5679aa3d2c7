# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kube-prometheus-stack values: Prometheus, Alertmanager and Grafana as the platform needs them.

The values are a private base (per profile) combined recursively with the user's
overrides. Every key set here exists in the pinned chart's values.yaml (the tests
check this against the reference copy), so a chart upgrade that renames one fails
in CI rather than being silently ignored by Helm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import SettingsReader

PROFILES = ("small", "production")
# The chart's own Alertmanager datasource in Grafana, under a fixed UID the dashboards' links use.
ALERTMANAGER_DATASOURCE_UID = "alertmanager"

# Sizes per profile; a user's setting of any of them wins.
# Trace ID label of exemplars: the OpenTelemetry collector's (spanmetrics, OTLP) and Tempo's metrics generator's.
EXEMPLAR_TRACE_LABELS = ("trace_id", "traceID")
_PROFILE_DEFAULTS = {
    "small": {
        "prometheus_replicas": 1,
        "prometheus_retention": "35d",
        # The 30d SLO windows read 30 days of history: it must survive a pod restart, so even the small profile keeps
        # it on a modest volume, with a size cap below the volume's so the TSDB never fills it.
        "prometheus_retention_size": "18GB",
        "prometheus_storage_size": "20Gi",
        "prometheus_resources": {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
        "alertmanager_replicas": 1,
        "alertmanager_storage_size": "",
        "alertmanager_resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "grafana_persistence": False,
        "grafana_storage_size": "10Gi",
        "anti_affinity": "soft",
    },
    "production": {
        "prometheus_replicas": 2,
        "prometheus_retention": "35d",
        "prometheus_retention_size": "90GB",
        "prometheus_storage_size": "100Gi",
        "prometheus_resources": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "8Gi"}},
        "alertmanager_replicas": 3,
        "alertmanager_storage_size": "5Gi",
        "alertmanager_resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "grafana_persistence": True,
        "grafana_storage_size": "10Gi",
        "anti_affinity": "hard",
    },
}


@dataclass(frozen=True)
class KpsSettings:
    profile: str
    cluster: str
    prometheus_replicas: int
    prometheus_retention: str
    prometheus_retention_size: str
    prometheus_storage_class: str
    prometheus_storage_size: str
    prometheus_resources: dict
    scrape_interval: str
    evaluation_interval: str
    alertmanager_replicas: int
    alertmanager_storage_class: str
    alertmanager_storage_size: str
    alertmanager_resources: dict
    grafana_admin_secret: str
    grafana_admin_user_key: str
    grafana_admin_password_key: str
    grafana_persistence: bool
    grafana_storage_class: str
    grafana_storage_size: str
    grafana_plugins: tuple
    dashboard_label: str
    dashboard_label_value: str
    dashboard_folder_annotation: str
    prometheus_datasource_uid: str
    alertmanager_datasource_uid: str
    monitor_etcd: bool
    monitor_scheduler: bool
    monitor_controller_manager: bool
    anti_affinity: str
    values: dict


def parse_kps_settings(raw: Any, problems: Problems, fallbacks: Mapping[str, Any], path: str = "", paths: Optional[Dict[str, str]] = None,
                       known: Sequence[str] = ()) -> KpsSettings:
    """Settings from the role's variables (gathered by the plan, with what the platform gives); `fallbacks` are the
    role defaults, the only place a setting's default is written."""
    r = SettingsReader(raw, path, problems, paths, fallbacks=fallbacks)
    r.known(*known)  # role variables the plan reads itself
    profile = r.string("profile", choices=PROFILES, required=True)
    base = _PROFILE_DEFAULTS[profile or PROFILES[0]]  # any profile while a wrong one is reported: the run fails

    def pick(key, reader):
        # The profile's value unless the user set one; "", 0 and {} mean "keep the profile's" (role defaults).
        raw_value = r.raw(key)
        if raw_value is None or raw_value == "" or raw_value == {} or (isinstance(raw_value, int) and not isinstance(raw_value, bool) and raw_value == 0):
            return base[key]
        value = reader(key)
        return base[key] if value is None else value

    settings = KpsSettings(
        profile=profile,
        cluster=r.string("cluster", required=True),
        prometheus_replicas=pick("prometheus_replicas", lambda k: r.integer(k, minimum=1)),
        prometheus_retention=pick("prometheus_retention", lambda k: str(r.duration(k) or base[k])),
        prometheus_retention_size=pick("prometheus_retention_size", lambda k: r.string(k, pattern=r"^(\d+(\.\d+)?(B|KB|MB|GB|TB|PB|EB))?$",
                                                                                       what="a Prometheus size such as 50GB")),
        prometheus_storage_class=r.string("prometheus_storage_class"),
        prometheus_storage_size=pick("prometheus_storage_size", lambda k: r.string(k, pattern=_QUANTITY, what="a Kubernetes quantity such as 100Gi")),
        prometheus_resources=pick("prometheus_resources", r.mapping),
        scrape_interval=str(r.duration("scrape_interval")),
        evaluation_interval=str(r.duration("evaluation_interval")),
        alertmanager_replicas=pick("alertmanager_replicas", lambda k: r.integer(k, minimum=1)),
        alertmanager_storage_class=r.string("alertmanager_storage_class"),
        alertmanager_storage_size=pick("alertmanager_storage_size", lambda k: r.string(k, pattern=_QUANTITY, what="a Kubernetes quantity such as 5Gi")),
        alertmanager_resources=pick("alertmanager_resources", r.mapping),
        grafana_admin_secret=r.name("grafana_admin_secret", max_len=253),
        grafana_admin_user_key=r.string("grafana_admin_user_key"),
        grafana_admin_password_key=r.string("grafana_admin_password_key"),
        grafana_persistence=pick("grafana_persistence", r.boolean),
        grafana_storage_class=r.string("grafana_storage_class"),
        grafana_storage_size=pick("grafana_storage_size", lambda k: r.string(k, pattern=_QUANTITY, what="a Kubernetes quantity such as 10Gi")),
        grafana_plugins=tuple(r.string_list("grafana_plugins")),
        dashboard_label=r.string("dashboard_label", required=True),
        dashboard_label_value=r.string("dashboard_label_value", required=True),
        dashboard_folder_annotation=r.string("dashboard_folder_annotation", required=True),
        prometheus_datasource_uid=r.string("prometheus_datasource_uid", required=True),
        alertmanager_datasource_uid=ALERTMANAGER_DATASOURCE_UID,
        monitor_etcd=r.boolean("monitor_etcd"),
        monitor_scheduler=r.boolean("monitor_scheduler"),
        monitor_controller_manager=r.boolean("monitor_controller_manager"),
        anti_affinity=base["anti_affinity"],
        values=r.mapping("values"),
    )
    r.done()
    if "adminPassword" in (settings.values.get("grafana") or {}):
        problems.add(join_path(r.sub("values"), "grafana.adminPassword"),
                     "a literal Grafana password is not allowed; put it in the Secret named by grafana_admin_secret")
    return settings


_QUANTITY = r"^(\d+(\.\d+)?([KMGTPE]i?|[kmu]|e\d+)?)?$"


def _storage(storage_class, size):
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"volumeClaimTemplate": {"spec": spec}}


# What enforcedNamespaceLabel applies to (the Prometheus CRD's excludedFromEnforcement resources).
ENFORCED_RESOURCES = ("podmonitors", "probes", "prometheusrules", "scrapeconfigs", "servicemonitors")


def kps_values(settings: KpsSettings, alertmanager_config: Optional[dict] = None, alertmanager_secrets: Sequence[str] = (),
               datasources: Sequence[dict] = (), exemplar_trace_uid: Optional[str] = None,
               alertmanager_config_selector: Optional[dict] = None, platform_namespaces: Sequence[str] = ()) -> Dict[str, Any]:
    """The chart values: base for the profile, the platform's wiring, then the user's overrides.

    `platform_namespaces` hold the platform's own monitors and rules (every release's namespace): they are exempt from
    the namespace label the operator enforces on everything else (docs/tenancy.md).
    """
    prometheus_spec = {
        "replicas": settings.prometheus_replicas,
        "retention": settings.prometheus_retention,
        "retentionSize": settings.prometheus_retention_size,
        "resources": settings.prometheus_resources,
        "scrapeInterval": settings.scrape_interval,
        "evaluationInterval": settings.evaluation_interval,
        "podAntiAffinity": settings.anti_affinity,
        # Exemplars link metrics to traces; the remote-write receiver takes Tempo's generated metrics.
        "enableFeatures": ["exemplar-storage"],
        "enableRemoteWriteReceiver": True,
        # Select monitors, rules and probes in every namespace, not only those labelled for this release.
        "ruleSelectorNilUsesHelmValues": False,
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
        "probeSelectorNilUsesHelmValues": False,
        "scrapeConfigSelectorNilUsesHelmValues": False,
        "ruleNamespaceSelector": {},
        "serviceMonitorNamespaceSelector": {},
        "podMonitorNamespaceSelector": {},
        "probeNamespaceSelector": {},
        "scrapeConfigNamespaceSelector": {},
        # Tenancy: every series a team's monitor scrapes, and every series and alert its rules make, carries the
        # namespace of the monitor or rule, and every selector of its rules is confined to it. The platform's own
        # monitors (kube-state-metrics reports every namespace) and rules are exempt.
        "enforcedNamespaceLabel": "namespace",
        "excludedFromEnforcement": [
            {"group": "monitoring.coreos.com", "resource": resource, "namespace": namespace}
            for namespace in sorted(set(platform_namespaces)) for resource in ENFORCED_RESOURCES],
    }
    if settings.cluster:
        prometheus_spec["externalLabels"] = {"cluster": settings.cluster}
    if settings.prometheus_storage_size:
        prometheus_spec["storageSpec"] = _storage(settings.prometheus_storage_class, settings.prometheus_storage_size)

    alertmanager_spec = {
        "replicas": settings.alertmanager_replicas,
        "resources": settings.alertmanager_resources,
        "podAntiAffinity": settings.anti_affinity,
        "secrets": sorted(alertmanager_secrets),
        # A team's AlertmanagerConfig only ever sees the alerts of its own namespace (the operator's default, made explicit).
        "alertmanagerConfigMatcherStrategy": {"type": "OnNamespace"},
    }
    if settings.alertmanager_storage_size:
        alertmanager_spec["storage"] = _storage(settings.alertmanager_storage_class, settings.alertmanager_storage_size)
    if alertmanager_config_selector:
        alertmanager_spec["alertmanagerConfigSelector"] = alertmanager_config_selector
    alertmanager = {"alertmanagerSpec": alertmanager_spec}
    if alertmanager_config is not None:
        alertmanager["config"] = alertmanager_config

    datasource_sidecar = {"uid": settings.prometheus_datasource_uid}
    if exemplar_trace_uid:
        # Exemplars carry the trace ID as trace_id when they come through the OpenTelemetry collector and as traceID
        # from Tempo's metrics generator: one destination for each. The chart's own setting takes only one, so the
        # list goes into the datasource's jsonData directly.
        datasource_sidecar["extraJsonData"] = {"exemplarTraceIdDestinations": [
            {"datasourceUid": exemplar_trace_uid, "name": label, "urlDisplayLabel": "Open trace in Tempo"}
            for label in EXEMPLAR_TRACE_LABELS]}
    datasource_sidecar["alertmanager"] = {"uid": settings.alertmanager_datasource_uid}
    persistence = {"enabled": settings.grafana_persistence, "size": settings.grafana_storage_size}
    if settings.grafana_storage_class:
        persistence["storageClassName"] = settings.grafana_storage_class
    grafana = {
        "admin": {
            "existingSecret": settings.grafana_admin_secret,
            "userKey": settings.grafana_admin_user_key,
            "passwordKey": settings.grafana_admin_password_key,
        },
        "persistence": persistence,
        "plugins": list(settings.grafana_plugins),
        "sidecar": {
            "dashboards": {
                "enabled": True,
                "label": settings.dashboard_label,
                "labelValue": settings.dashboard_label_value,
                "searchNamespace": "ALL",
                "folderAnnotation": settings.dashboard_folder_annotation,
                # The folder annotation only takes effect with folders taken from the file structure.
                "provider": {"foldersFromFilesStructure": True},
            },
            "datasources": datasource_sidecar,
        },
        "additionalDataSources": [dict(ds) for ds in datasources],
        # The chart's default, made explicit: the platform scrapes every component of its own.
        "serviceMonitor": {"enabled": True},
    }
    base = {
        "prometheus": {"prometheusSpec": prometheus_spec},
        "alertmanager": alertmanager,
        "grafana": grafana,
        "kubeEtcd": {"enabled": settings.monitor_etcd},
        "kubeScheduler": {"enabled": settings.monitor_scheduler},
        "kubeControllerManager": {"enabled": settings.monitor_controller_manager},
    }
    return deep_merge(base, settings.values)
