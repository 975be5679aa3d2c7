# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loki values for the grafana-community `loki` chart (the OSS chart; loki-stack and Promtail are end-of-life).

small: monolithic, one replica, filesystem on a volume. production: distributed, object storage on S3,
GCS or Azure with credentials taken from an existing Secret at run time (never in the values).
Both: schema v13 on tsdb, retention by the compactor, single-tenant unless asked otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, SettingsReader
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

PROFILES = ("small", "production")
STORAGE_TYPES = ("s3", "gcs", "azure")
# A fixed date in the past: the schema in force from the first byte; a later change adds an entry, never edits this one.
SCHEMA_FROM = "2024-04-01"
_QUANTITY = r"^\d+(\.\d+)?([KMGTPE]i?)?$"
_DISTRIBUTED_REPLICAS = {"ingester": 3, "distributor": 3, "querier": 3, "queryFrontend": 2, "queryScheduler": 2,
                         "indexGateway": 2, "compactor": 1}
# Components of the other deployment modes, zeroed so that only the chosen mode runs.
_SIMPLE_SCALABLE = ("read", "write", "backend")
GCS_KEY_DIR = "/etc/loki/gcs"


@dataclass(frozen=True)
class ObjectStorage:
    type: str
    chunks_bucket: str
    ruler_bucket: str
    credentials_secret: str
    region: str
    endpoint: str
    force_path_style: bool
    access_key_id_key: str
    secret_access_key_key: str
    account_name: str
    account_key_key: str
    service_account_key: str


@dataclass(frozen=True)
class LokiSettings:
    profile: str
    retention_hours: int
    multi_tenant: bool
    storage_class: str
    storage_size: str
    object_storage: ObjectStorage | None
    replicas: dict
    values: dict


def _parse_object_storage(raw: Dict[str, Any], path: str, problems: Problems, secret_keys: Dict[str, Any]) -> Any:
    """The object storage block; its Secret's key names default to `secret_keys` (loki_object_storage_secret_keys)."""
    r = SettingsReader(raw, path, problems, fallbacks=secret_keys)
    kind = r.string("type", required=True, choices=STORAGE_TYPES)
    buckets = Reader(r.raw("buckets"), r.sub("buckets"), problems)
    chunks = buckets.string("chunks", required=True, pattern=r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", what="a bucket name")
    ruler = buckets.string("ruler", default=chunks, pattern=r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", what="a bucket name")
    buckets.done()
    storage = ObjectStorage(
        type=kind,
        chunks_bucket=chunks,
        ruler_bucket=ruler,
        # Workload identity (IRSA, GKE, Azure managed identity) needs no Secret; anything else does.
        credentials_secret=r.name("credentials_secret", default="", max_len=253),
        region=r.string("region", default=""),
        endpoint=r.string("endpoint", default="", pattern=r"\S*", what="a host or URL without spaces"),
        force_path_style=r.boolean("force_path_style", default=False),
        access_key_id_key=r.string("access_key_id_key", required=True),
        secret_access_key_key=r.string("secret_access_key_key", required=True),
        account_name=r.string("account_name", default=""),
        account_key_key=r.string("account_key_key", required=True),
        service_account_key=r.string("service_account_key", required=True),
    )
    r.done()
    if kind == "azure" and not storage.account_name:
        problems.add(r.sub("account_name"), "is required for Azure storage")
    if kind == "s3" and not (storage.region or storage.endpoint):
        problems.add(r.sub("region"), "S3 storage needs a region or an endpoint")
    if None in (kind, chunks):
        return None
    return storage


def parse_loki_settings(
    raw: Dict[str, Any],
    problems: Problems,
    fallbacks: Mapping[str, Any],
    path: str = "",
    paths: Optional[Any] = None,
    known: Sequence[str] = (),
) -> LokiSettings:
    """Settings from the role's variables; `fallbacks` are the role defaults, the only place a default is written."""
    r = SettingsReader(raw, path, problems, paths, fallbacks=fallbacks)
    r.known(*known)  # role variables the plan reads itself
    profile = r.string("profile", choices=PROFILES, required=True)
    retention = r.duration("retention")
    retention_hours, rest = divmod(retention.seconds, 3600)
    if rest or retention_hours < 24 or retention_hours % 24:
        problems.add(r.sub("retention"), "must be whole days (Loki's index period is 24h), got %s" % retention)
    secret_keys = r.mapping("object_storage_secret_keys")
    settings = LokiSettings(
        profile=profile,
        retention_hours=retention_hours,
        multi_tenant=r.boolean("multi_tenant", required=True),
        storage_class=r.string("storage_class"),
        storage_size=r.string("storage_size", pattern=_QUANTITY, what="a Kubernetes quantity such as 10Gi"),
        object_storage=_parse_object_storage(r.raw("object_storage"), r.sub("object_storage"), problems, secret_keys) if r.has("object_storage") else None,
        replicas=_parse_replicas(r, problems),
        values=r.mapping("values"),
    )
    if not r.has("object_storage"):
        r.raw("object_storage")
    r.done()
    if profile == "production" and settings.object_storage is None and not r.has("object_storage"):
        problems.add(r.sub("object_storage"), "is required for the production profile (distributed Loki needs S3, GCS or Azure)")
    for secret_key in ("secretAccessKey", "accountKey", "accessKeyId"):
        for section in ("s3", "azure"):
            if secret_key in ((settings.values.get("loki") or {}).get("storage") or {}).get(section, {}):
                problems.add(join_path(r.sub("values"), "loki.storage.%s.%s" % (section, secret_key)),
                             "a literal credential is not allowed; name the Secret in object_storage.credentials_secret")
    return settings


def _parse_replicas(r: Reader, problems: Problems) -> Dict[str, int]:
    out = {}
    raw = r.mapping("replicas")
    for name, value in sorted(raw.items(), key=lambda kv: str(kv[0])):
        path = join_path(r.sub("replicas"), str(name))
        if name not in _DISTRIBUTED_REPLICAS:
            problems.add(path, "unknown component (known: %s)" % ", ".join(sorted(_DISTRIBUTED_REPLICAS)))
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.add(path, "must be a whole number of at least 1, got %r" % (value,))
        else:
            out[name] = value
    return out


def _env_from_secret(secret: str, pairs: Tuple[Tuple[str, str], ...]) -> List[Dict[str, Any]]:
    return [{"name": env, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}} for env, key in pairs]


def _object_storage_values(storage: ObjectStorage) -> Any:
    """loki.storage and the pod settings (defaults.*) that feed it credentials from the Secret."""
    loki_storage = {"type": storage.type, "bucketNames": {"chunks": storage.chunks_bucket, "ruler": storage.ruler_bucket}}
    defaults = {}
    if storage.type == "s3":
        s3 = {"s3ForcePathStyle": storage.force_path_style}
        if storage.region:
            s3["region"] = storage.region
        if storage.endpoint:
            s3["endpoint"] = storage.endpoint
        if storage.credentials_secret:
            # Expanded by Loki from the environment (-config.expand-env); the ConfigMap holds only the reference.
            s3["accessKeyId"] = "${AWS_ACCESS_KEY_ID}"
            s3["secretAccessKey"] = "${AWS_SECRET_ACCESS_KEY}"
            defaults["extraEnv"] = _env_from_secret(storage.credentials_secret, (
                ("AWS_ACCESS_KEY_ID", storage.access_key_id_key), ("AWS_SECRET_ACCESS_KEY", storage.secret_access_key_key)))
        loki_storage["s3"] = s3
    elif storage.type == "azure":
        azure = {"accountName": storage.account_name}
        if storage.credentials_secret:
            azure["accountKey"] = "${AZURE_ACCOUNT_KEY}"
            defaults["extraEnv"] = _env_from_secret(storage.credentials_secret, (("AZURE_ACCOUNT_KEY", storage.account_key_key),))
        else:
            azure["useManagedIdentity"] = True
        loki_storage["azure"] = azure
    elif storage.type == "gcs" and storage.credentials_secret:
        defaults["extraEnv"] = [{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "%s/%s" % (GCS_KEY_DIR, storage.service_account_key)}]
        defaults["extraVolumes"] = [{"name": "gcs-credentials", "secret": {"secretName": storage.credentials_secret}}]
        defaults["extraVolumeMounts"] = [{"name": "gcs-credentials", "mountPath": GCS_KEY_DIR, "readOnly": True}]
    if storage.credentials_secret and storage.type in ("s3", "azure"):
        defaults["extraArgs"] = ["-config.expand-env=true"]
    return loki_storage, defaults


def loki_values(settings: LokiSettings) -> Dict[str, Any]:
    small = settings.profile == "small"
    store = "filesystem" if small else settings.object_storage.type
    loki = {
        "auth_enabled": settings.multi_tenant,
        "commonConfig": {"replication_factor": 1 if small else 3},
        "schemaConfig": {"configs": [{"from": SCHEMA_FROM, "store": "tsdb", "object_store": store, "schema": "v13",
                                      "index": {"prefix": "loki_index_", "period": "24h"}}]},
        "limits_config": {"retention_period": "%dh" % settings.retention_hours, "allow_structured_metadata": True,
                          "volume_enabled": True},
        "compactor": {"retention_enabled": True, "delete_request_store": store, "working_directory": "/var/loki/compactor"},
    }
    if settings.multi_tenant:
        # Grafana may query several tenants at once (X-Scope-OrgID a|b).
        loki["querier"] = {"multi_tenant_queries_enabled": True}
    # Prometheus scrapes every Loki component's http-metrics port (the platform's self-check reads
    # loki_discarded_samples_total); the chart's ServiceMonitor skips the headless duplicates.
    values = {"loki": loki, "minio": {"enabled": False}, "monitoring": {"serviceMonitor": {"enabled": True}}}
    for name in _SIMPLE_SCALABLE:
        values[name] = {"replicas": 0}
    if small:
        loki["storage"] = {"type": "filesystem"}
        persistence = {"enabled": True, "size": settings.storage_size}
        if settings.storage_class:
            persistence["storageClass"] = settings.storage_class
        values.update({
            "deploymentMode": "Monolithic",
            "singleBinary": {"replicas": 1, "persistence": persistence},
            # Memcached caches pay off only with object storage and several queriers.
            "chunksCache": {"enabled": False},
            "resultsCache": {"enabled": False},
        })
    else:
        loki["storage"], defaults = _object_storage_values(settings.object_storage)
        values.update({"deploymentMode": "Distributed", "singleBinary": {"replicas": 0}})
        # Bloom building and the bloom gateway stay off (no planner or gateway runs), so their addresses go too:
        # the chart's defaults would name Services that no release creates (make test-charts finds them). Helm
        # deletes a key whose value is null.
        loki["bloom_build"] = {"enabled": False, "builder": None}
        loki["bloom_gateway"] = {"enabled": False, "client": None}
        if defaults:
            values["defaults"] = defaults
        replicas = dict(_DISTRIBUTED_REPLICAS, **settings.replicas)
        for name, count in sorted(replicas.items()):
            values[name] = {"replicas": count}
        # The ingesters' write-ahead log survives restarts on a volume.
        claim = {"name": "data", "accessModes": ["ReadWriteOnce"], "size": settings.storage_size}
        if settings.storage_class:
            claim["storageClass"] = settings.storage_class
        values["ingester"]["persistence"] = {"enabled": True, "claims": [claim]}
    return deep_merge(values, settings.values)
