# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Instrumentation object a team with `instrumentation` gets in its namespace (OpenTelemetry Operator CRD)."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.core.objects import k8s_object, labels_for
from ansible_collections.vigil.observability.plugins.module_utils.inventory.instrumentation import TeamInstrumentation, INSTRUMENTATION_NAME, PROPAGATORS
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import Team
from typing import Any, Dict


INSTRUMENTATION_API_VERSION = "opentelemetry.io/v1alpha1"


def instrumentation_spec(instrumentation: TeamInstrumentation, endpoint: str) -> Dict[str, Any]:
    spec = {
        "exporter": {"endpoint": endpoint},
        "propagators": list(PROPAGATORS),
        # Follow the caller's decision; sample new traces at the team's ratio.
        "sampler": {"type": "parentbased_traceidratio", "argument": instrumentation.sampling_ratio},
    }
    for language in instrumentation.languages:
        # The endpoint is the agent's OTLP/HTTP port; every SDK is told so explicitly.
        spec[language] = {"env": [{"name": "OTEL_EXPORTER_OTLP_PROTOCOL", "value": "http/protobuf"}]}
    return spec


def instrumentation_object(team: Team, endpoint: str) -> Dict[str, Any]:
    return k8s_object(INSTRUMENTATION_API_VERSION, "Instrumentation", INSTRUMENTATION_NAME, team.namespace,
                      labels_for(team, "instrumentation"), instrumentation_spec(team.instrumentation, endpoint))
