# -*- coding: utf-8 -*-
"""Loki values: valid for the pinned chart (its JSON schema and its values.yaml keys) in every profile and storage,
schema v13 on tsdb, retention from the compactor, credentials only from a Secret, problems named by path."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.core.merge import deep_merge
from ansible_collections.vigil.observability.plugins.module_utils.platform.loki import loki_values
from ansible_collections.vigil.observability.tests.support.plan import component_settings, problems
from ansible_collections.vigil.observability.tests.support.reference_checks import unknown_value_paths

S3 = {"type": "s3", "buckets": {"chunks": "logs-chunks", "ruler": "logs-ruler"}, "region": "eu-west-1", "credentials_secret": "loki-s3"}
GCS = {"type": "gcs", "buckets": {"chunks": "logs-chunks"}, "credentials_secret": "loki-gcs"}
AZURE = {"type": "azure", "buckets": {"chunks": "logs-chunks"}, "account_name": "vigillogs", "credentials_secret": "loki-azure"}
CASES = {
    "small": {},
    "small-multi-tenant": {"multi_tenant": True, "retention": "14d", "storage_class": "fast"},
    "production-s3": {"profile": "production", "object_storage": S3},
    "production-s3-endpoint": {"profile": "production", "object_storage": dict(S3, region=None, endpoint="https://minio.example:9000",
                                                                               force_path_style=True)},
    "production-gcs": {"profile": "production", "object_storage": GCS, "storage_class": "ssd"},
    "production-azure": {"profile": "production", "object_storage": AZURE, "replicas": {"querier": 5}},
    "production-azure-identity": {"profile": "production", "object_storage": dict(AZURE, credentials_secret=None)},
}


def settings(raw):
    raw = dict(raw)
    # Multi-tenancy is the platform's setting (Alloy, the collectors and Grafana follow it too).
    platform = {"observability_loki_multi_tenant": raw.pop("multi_tenant")} if "multi_tenant" in raw else {}
    return component_settings("loki", raw, platform)


@pytest.fixture(scope="module")
def chart(reference_dir):
    base = reference_dir / "charts" / "loki"
    schema = json.loads((base / "values.schema.json").read_text())
    text = (base / "values.yaml").read_text()
    return schema, yaml.safe_load(text), text


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_fit_the_pinned_chart(chart, case):
    schema, reference, text = chart
    values = loki_values(settings(CASES[case]))
    # Helm validates the chart's defaults with the release's values merged over them.
    errors = sorted(e.message for e in jsonschema.Draft7Validator(schema).iter_errors(deep_merge(reference, values)))
    assert errors == []
    # Blocks the chart passes to Loki's configuration as they are (schema: additionalProperties) hold Loki's keys.
    passthrough = ("loki.limits_config.", "loki.compactor.", "loki.querier.")
    assert [p for p in unknown_value_paths(values, reference, text) if not p.startswith(passthrough)] == []


def test_the_schema_check_catches_a_wrong_type(chart):
    schema, reference, _text = chart
    values = loki_values(settings({"values": {"singleBinary": {"replicas": "one"}}}))
    assert list(jsonschema.Draft7Validator(schema).iter_errors(deep_merge(reference, values)))


@pytest.mark.parametrize("case", sorted(CASES))
def test_schema_v13_on_tsdb_and_retention(case):
    raw = CASES[case]
    values = loki_values(settings(raw))
    (config,) = values["loki"]["schemaConfig"]["configs"]
    assert (config["schema"], config["store"], config["index"]["period"]) == ("v13", "tsdb", "24h")
    store = raw.get("object_storage", {}).get("type", "filesystem")
    assert config["object_store"] == store == values["loki"]["compactor"]["delete_request_store"]
    assert values["loki"]["compactor"]["retention_enabled"] is True
    days = int(raw.get("retention", "30d")[:-1])
    assert values["loki"]["limits_config"]["retention_period"] == "%dh" % (days * 24)
    assert values["loki"]["auth_enabled"] is bool(raw.get("multi_tenant"))


def test_small_is_monolithic_on_the_filesystem():
    values = loki_values(settings({}))
    assert values["deploymentMode"] == "Monolithic"
    assert values["singleBinary"]["replicas"] == 1 and values["singleBinary"]["persistence"]["enabled"] is True
    assert values["loki"]["storage"]["type"] == "filesystem"
    assert values["loki"]["commonConfig"]["replication_factor"] == 1
    assert all(values[c]["replicas"] == 0 for c in ("read", "write", "backend"))


def test_production_is_distributed_and_reads_credentials_from_the_secret():
    values = loki_values(settings(CASES["production-s3"]))
    assert values["deploymentMode"] == "Distributed" and values["singleBinary"]["replicas"] == 0
    assert values["ingester"]["replicas"] >= 3 and values["loki"]["commonConfig"]["replication_factor"] == 3
    s3 = values["loki"]["storage"]["s3"]
    assert s3["accessKeyId"] == "${AWS_ACCESS_KEY_ID}" and s3["secretAccessKey"] == "${AWS_SECRET_ACCESS_KEY}"
    assert "-config.expand-env=true" in values["defaults"]["extraArgs"]
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in values["defaults"]["extraEnv"]}
    assert refs == {"AWS_ACCESS_KEY_ID": {"name": "loki-s3", "key": "AWS_ACCESS_KEY_ID"},
                    "AWS_SECRET_ACCESS_KEY": {"name": "loki-s3", "key": "AWS_SECRET_ACCESS_KEY"}}
    assert values["loki"]["storage"]["bucketNames"] == {"chunks": "logs-chunks", "ruler": "logs-ruler"}
    gcs = loki_values(settings(CASES["production-gcs"]))
    mount = gcs["defaults"]["extraVolumeMounts"][0]["mountPath"]
    assert gcs["defaults"]["extraEnv"] == [{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": mount + "/key.json"}]
    assert gcs["defaults"]["extraVolumes"][0]["secret"]["secretName"] == "loki-gcs"
    assert loki_values(settings(CASES["production-azure"]))["querier"]["replicas"] == 5


def test_bad_settings_are_named():
    text = "\n".join(problems({"loki_profile": "production", "loki_retention": "36h", "loki_replicas": {"ingester": 0, "gateway": 2},
                               "loki_values": {"loki": {"storage": {"s3": {"secretAccessKey": "hunter2"}}}}}))
    for expected in ("loki_retention: must be whole days", "loki_replicas.ingester: must be a whole number of at least 1",
                     "loki_replicas.gateway: unknown component", "loki_object_storage: is required for the production profile",
                     "loki_values.loki.storage.s3.secretAccessKey: a literal credential is not allowed"):
        assert expected in text
    assert "hunter2" not in text
    assert sorted(problems({"loki_profile": "production", "loki_object_storage": {"type": "azure", "buckets": {}, "bogus": 1}})) == sorted([
        "loki_object_storage.buckets.chunks: is required",
        "loki_object_storage.bogus: unknown key (known keys: access_key_id_key, account_key_key, account_name, buckets, credentials_secret, "
        "endpoint, force_path_style, region, secret_access_key_key, service_account_key, type)",
        "loki_object_storage.account_name: is required for Azure storage"])


def test_the_secret_key_names_come_from_the_role_defaults_and_the_block_overrides_them():
    # loki_object_storage_secret_keys (a role default) names the Secret's keys; a block's own *_key wins.
    renamed = {"access_key_id_key": "id", "secret_access_key_key": "secret", "account_key_key": "azure", "service_account_key": "sa.json"}
    values = loki_values(settings({"profile": "production", "object_storage": dict(S3, secret_access_key_key="mine"),
                                   "object_storage_secret_keys": renamed}))
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["key"] for e in values["defaults"]["extraEnv"]}
    assert refs == {"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "mine"}
    gcs = loki_values(settings({"profile": "production", "object_storage": GCS, "object_storage_secret_keys": renamed}))
    assert gcs["defaults"]["extraEnv"][0]["value"].endswith("/sa.json")
    assert "loki_object_storage.access_key_id_key: must be a string, got 3" in problems(
        {"loki_profile": "production", "loki_object_storage": dict(S3, access_key_id_key=3)})
