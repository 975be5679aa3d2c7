# -*- coding: utf-8 -*-
"""Tempo values: only keys the pinned chart has, local storage for small and S3 for production with credentials from a
Secret, the metrics generator on (service graphs, span metrics) remote-writing with exemplars to Prometheus."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.vigil.observability.plugins.module_utils.platform.tempo import tempo_values
from ansible_collections.vigil.observability.tests.support.plan import component_settings, problems
from ansible_collections.vigil.observability.tests.support.reference_checks import unknown_value_paths

PROM = "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090/api/v1/write"
S3 = {"bucket": "traces", "region": "eu-west-1", "credentials_secret": "tempo-s3"}
CASES = {
    "small": {},
    "small-class": {"storage_class": "fast", "retention": "72h"},
    "production": {"profile": "production", "s3": S3},
    "production-minio": {"profile": "production", "s3": {"bucket": "traces", "endpoint": "minio.storage:9000", "insecure": True,
                                                         "force_path_style": True}},
}


def settings(raw):
    # remote_write_url is left to the wiring: the Service registry gives PROM for the stack's release as shipped.
    return component_settings("tempo", raw)


@pytest.fixture(scope="module")
def chart(reference_dir):
    text = (reference_dir / "charts" / "tempo" / "values.yaml").read_text()
    return yaml.safe_load(text), text


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_key_exists_in_the_pinned_chart(chart, case):
    reference, text = chart
    assert unknown_value_paths(tempo_values(settings(CASES[case])), reference, text) == []


def test_a_typo_is_caught(chart):
    reference, text = chart
    values = tempo_values(settings({"values": {"tempo": {"metricsGenerator": {"enabeld": True}}}}))
    assert unknown_value_paths(values, reference, text) == ["tempo.metricsGenerator.enabeld"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_metrics_generator_writes_to_prometheus_with_exemplars(case):
    tempo = tempo_values(settings(CASES[case]))["tempo"]
    generator = tempo["metricsGenerator"]
    assert generator["enabled"] is True
    assert generator["storage"]["remote_write"] == [{"url": PROM, "send_exemplars": True}]
    assert set(tempo["overrides"]["defaults"]["metrics_generator"]["processors"]) == {"service-graphs", "span-metrics"}
    assert {"service_graphs", "span_metrics"} <= set(generator["processor"])


def test_storage_per_profile():
    small = tempo_values(settings({}))
    assert small["tempo"]["storage"]["trace"]["backend"] == "local" and small["persistence"]["enabled"] is True
    prod = tempo_values(settings(CASES["production"]))
    s3 = prod["tempo"]["storage"]["trace"]["s3"]
    assert prod["tempo"]["storage"]["trace"]["backend"] == "s3"
    assert (s3["bucket"], s3["region"], s3["endpoint"]) == ("traces", "eu-west-1", "s3.eu-west-1.amazonaws.com")
    assert "access_key" not in s3 and "secret_key" not in s3
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in prod["tempo"]["extraEnv"]}
    assert refs == {"AWS_ACCESS_KEY_ID": "tempo-s3", "AWS_SECRET_ACCESS_KEY": "tempo-s3"}
    minio = tempo_values(settings(CASES["production-minio"]))["tempo"]
    assert minio["storage"]["trace"]["s3"]["endpoint"] == "minio.storage:9000" and "extraEnv" not in minio
    assert tempo_values(settings({"retention": "72h"}))["tempo"]["retention"] == "72h"


def test_bad_settings_are_named():
    text = "\n".join(problems({"tempo_profile": "production", "tempo_retention": "90s", "tempo_remote_write_url": "prometheus:9090",
                               "tempo_values": {"tempo": {"storage": {"trace": {"s3": {"secret_key": "hunter2"}}}}}}))
    for expected in ("tempo_retention: must be whole hours", "tempo_remote_write_url: must be an http(s) URL",
                     "tempo_s3: is required for the production profile",
                     "tempo_values.tempo.storage.trace.s3.secret_key: a literal credential is not allowed"):
        assert expected in text
    assert "hunter2" not in text
    assert problems({"tempo_s3": {"bucket": "traces", "endpoint": "https://minio:9000"}}) == [
        "tempo_s3.endpoint: must be a host[:port] without scheme (Tempo's s3.endpoint), got 'https://minio:9000'",
        "tempo_s3.region: S3 storage needs a region or an endpoint"]


def test_the_secret_key_names_come_from_the_role_defaults_and_the_block_overrides_them():
    # tempo_s3_secret_keys (a role default) names the Secret's keys; the block's own *_key wins.
    values = tempo_values(settings({"profile": "production", "s3": dict(S3, secret_access_key_key="mine"),
                                    "s3_secret_keys": {"access_key_id_key": "id", "secret_access_key_key": "secret"}}))
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in values["tempo"]["extraEnv"]}
    assert refs == {"AWS_ACCESS_KEY_ID": {"name": "tempo-s3", "key": "id"}, "AWS_SECRET_ACCESS_KEY": {"name": "tempo-s3", "key": "mine"}}
