# -*- coding: utf-8 -*-
"""generators/instrumentation: the Instrumentation object a team with `instrumentation` gets in its namespace, valid for
the OpenTelemetry Operator's CRD and pointed at the agent's Service."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.generators import instrumentation as generators_instrumentation
from ansible_collections.vigil.observability.plugins.module_utils.inventory import instrumentation as inventory_instrumentation
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.tests.support import plan as plan_helpers


def team(instrumentation):
    class Team:  # the two fields instrumentation_object reads
        name = "payments"
        namespace = "payments"

    Team.instrumentation = instrumentation
    return Team


@pytest.mark.parametrize("languages", [["python"], ["dotnet", "go", "java", "nodejs", "python"]])
def test_instrumentation_fits_the_crd(crd_validator, languages):
    problems = Problems()
    parsed = inventory_instrumentation.parse_team_instrumentation({"languages": languages, "sampling_ratio": 0.25}, "t.instrumentation", problems)
    assert not problems
    obj = generators_instrumentation.instrumentation_object(team(parsed), "http://vigil-agent-collector.monitoring.svc.cluster.local:4318")
    assert crd_validator.errors(obj) == []
    spec = obj["spec"]
    assert spec["propagators"] == ["tracecontext", "baggage"]
    assert spec["exporter"]["endpoint"] == "http://vigil-agent-collector.monitoring.svc.cluster.local:4318"
    assert spec["sampler"] == {"type": "parentbased_traceidratio", "argument": "0.25"}
    assert set(languages) <= set(spec)
    assert obj["metadata"]["labels"]["vigil.observability/team"] == "payments"


def test_a_team_asking_for_instrumentation_gets_it_in_its_scope(crd_validator):
    team_vars = {"observability_team_payments": {"namespace": "pay", "instrumentation": {"languages": ["python"]}},
                 "observability_team_checkout": {}, "opentelemetry_namespace": "otel"}
    plan = plan_helpers.build(team_vars)
    found = [o for o in plan["scopes"]["team/payments"]["objects"] if o["kind"] == "Instrumentation"]
    assert len(found) == 1 and crd_validator.errors(found[0]) == []
    assert found[0]["metadata"]["namespace"] == "pay"
    assert found[0]["metadata"]["labels"]["app.kubernetes.io/component"] == "instrumentation"
    # The agent's Service, where the opentelemetry role runs it.
    assert found[0]["spec"]["exporter"]["endpoint"] == "http://vigil-agent-collector.otel.svc.cluster.local:4318"
    assert not [o for o in plan["scopes"]["team/checkout"]["objects"] if o["kind"] == "Instrumentation"]
    explicit = plan_helpers.build(dict(team_vars, teams_otlp_endpoint="http://otel.example:4318"))
    assert [o["spec"]["exporter"]["endpoint"] for o in explicit["scopes"]["team/payments"]["objects"]
            if o["kind"] == "Instrumentation"] == ["http://otel.example:4318"]
    text = "\n".join(plan_helpers.problems({"observability_team_payments": {"instrumentation": {"languages": ["cobol"]}}}))
    assert "observability_team_payments.instrumentation.languages[0]: must be one of" in text
