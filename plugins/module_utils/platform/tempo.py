# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tempo values for the grafana-community `tempo` chart (single binary).

small: local storage on a volume. production: blocks on S3, credentials from an existing Secret as the
AWS environment variables Tempo's S3 client reads (never in the values). Both run the metrics generator
(service graphs and span metrics) remote-writing to Prometheus with exemplars, which the Grafana service
map and the trace-to-metrics links query.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Sequence

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems

from dataclasses import dataclass

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import SettingsReader

PROFILES = ("small", "production")
_QUANTITY = r"^\d+(\.\d+)?([KMGTPE]i?)?$"
DATA_DIR = "/var/tempo"
PROCESSORS = ("service-graphs", "span-metrics")
# Span and service-graph series get the namespace too, so the service map can be read per team.
DIMENSIONS = ("k8s.namespace.name",)
_PROFILE_RESOURCES = {
    "small": {"requests": {"cpu": "100m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}},
    "production": {"requests": {"cpu": "1", "memory": "4Gi"}, "limits": {"memory": "8Gi"}},
}


@dataclass(frozen=True)
class S3Storage:
    bucket: str
    region: str
    endpoint: str
    insecure: bool
    force_path_style: bool
    credentials_secret: str
    access_key_id_key: str
    secret_access_key_key: str


@dataclass(frozen=True)
class TempoSettings:
    profile: str
    retention_hours: int
    storage_class: str
    storage_size: str
    remote_write_url: str  # empty until wired: the plan derives it from the Service registry unless set
    s3: S3Storage | None
    values: dict


def _parse_s3(raw, path, problems, secret_keys):
    """The S3 block; its Secret's key names default to `secret_keys` (tempo_s3_secret_keys)."""
    r = SettingsReader(raw, path, problems, fallbacks=secret_keys)
    storage = S3Storage(
        bucket=r.string("bucket", required=True, pattern=r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", what="a bucket name"),
        region=r.string("region", default=""),
        endpoint=r.string("endpoint", default="", pattern=r"[^\s/]*", what="a host[:port] without scheme (Tempo's s3.endpoint)"),
        insecure=r.boolean("insecure", default=False),
        force_path_style=r.boolean("force_path_style", default=False),
        credentials_secret=r.name("credentials_secret", default="", max_len=253),
        access_key_id_key=r.string("access_key_id_key", required=True),
        secret_access_key_key=r.string("secret_access_key_key", required=True),
    )
    r.done()
    if storage.bucket is None:
        return None
    if not (storage.region or storage.endpoint):
        problems.add(join_path(path, "region"), "S3 storage needs a region or an endpoint")
    return storage


def parse_tempo_settings(raw: Any, problems: Problems, fallbacks: Mapping[str, Any], path: str = "", paths: Optional[Dict[str, str]] = None,
                         known: Sequence[str] = ()) -> TempoSettings:
    """Settings from the role's variables; `fallbacks` are the role defaults, the only place a default is written."""
    r = SettingsReader(raw, path, problems, paths, fallbacks=fallbacks)
    r.known(*known)  # role variables the plan reads itself
    profile = r.string("profile", choices=PROFILES, required=True)
    retention = r.duration("retention")
    hours, rest = divmod(retention.seconds, 3600)
    if rest or hours < 1:
        problems.add(r.sub("retention"), "must be whole hours (at least 1h), got %s" % retention)
    secret_keys = r.mapping("s3_secret_keys")
    s3 = _parse_s3(r.raw("s3"), r.sub("s3"), problems, secret_keys) if r.has("s3") else None
    settings = TempoSettings(
        profile=profile,
        retention_hours=hours,
        storage_class=r.string("storage_class"),
        storage_size=r.string("storage_size", pattern=_QUANTITY, what="a Kubernetes quantity such as 10Gi"),
        # Empty (the role default): wired from the Service registry.
        remote_write_url=r.string("remote_write_url", pattern=r"|https?://\S+", what="an http(s) URL"),
        s3=s3,
        values=r.mapping("values"),
    )
    r.done()
    if profile == "production" and s3 is None and not r.has("s3"):
        problems.add(r.sub("s3"), "is required for the production profile (bucket, region or endpoint, credentials_secret)")
    s3_values = ((((settings.values.get("tempo") or {}).get("storage") or {}).get("trace") or {}).get("s3") or {})
    for key in ("access_key", "secret_key"):
        if key in s3_values:
            problems.add(join_path(r.sub("values"), "tempo.storage.trace.s3.%s" % key),
                         "a literal credential is not allowed; name the Secret in s3.credentials_secret")
    return settings


def tempo_values(settings: TempoSettings) -> Dict[str, Any]:
    trace = {"wal": {"path": "%s/wal" % DATA_DIR}}
    tempo = {
        "retention": "%dh" % settings.retention_hours,
        "resources": _PROFILE_RESOURCES[settings.profile],
        "metricsGenerator": {
            "enabled": True,
            "remoteWriteUrl": settings.remote_write_url,
            "processor": {
                "service_graphs": {"dimensions": list(DIMENSIONS)},
                "span_metrics": {"dimensions": list(DIMENSIONS)},
            },
            "storage": {
                "path": "%s/generator/wal" % DATA_DIR,
                # Exemplars carry the trace ID from the generated metrics back to the trace.
                "remote_write": [{"url": settings.remote_write_url, "send_exemplars": True}],
            },
            "traces_storage": {"path": "%s/generator/traces" % DATA_DIR},
        },
        # The generator runs only the processors a tenant's overrides list.
        "overrides": {"defaults": {"metrics_generator": {"processors": list(PROCESSORS)}}},
        "storage": {"trace": trace},
    }
    if settings.s3 is None:
        trace.update({"backend": "local", "local": {"path": "%s/traces" % DATA_DIR}})
    else:
        s3 = {"bucket": settings.s3.bucket, "insecure": settings.s3.insecure, "forcepathstyle": settings.s3.force_path_style}
        if settings.s3.region:
            s3["region"] = settings.s3.region
        # Tempo needs an endpoint; AWS' regional one unless another is given.
        s3["endpoint"] = settings.s3.endpoint or "s3.%s.amazonaws.com" % settings.s3.region
        trace.update({"backend": "s3", "s3": s3})
        if settings.s3.credentials_secret:
            # Without access_key/secret_key in the configuration, Tempo's S3 client reads these variables.
            tempo["extraEnv"] = [
                {"name": env, "valueFrom": {"secretKeyRef": {"name": settings.s3.credentials_secret, "key": key}}}
                for env, key in (("AWS_ACCESS_KEY_ID", settings.s3.access_key_id_key), ("AWS_SECRET_ACCESS_KEY", settings.s3.secret_access_key_key))
            ]
    persistence = {"enabled": True, "size": settings.storage_size}
    if settings.storage_class:
        persistence["storageClassName"] = settings.storage_class
    # Prometheus scrapes Tempo's tempo-prom-metrics port (the self-check reads tempo_discarded_spans_total and the
    # distributor's append failures).
    values = {"replicas": 1, "tempo": tempo, "persistence": persistence, "serviceMonitor": {"enabled": True}}
    return deep_merge(values, settings.values)
