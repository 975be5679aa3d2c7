# -*- coding: utf-8 -*-
"""inventory/instrumentation: a team's instrumentation block, each bad setting named."""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.inventory import instrumentation as inventory_instrumentation
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems


def test_bad_instrumentation_is_named():
    problems = Problems()
    raw = {"languages": ["python", "ruby", "python"], "sampling_ratio": 2, "lang": 1}
    inventory_instrumentation.parse_team_instrumentation(raw, "t.instrumentation", problems)
    text = "\n".join(problems.items)
    for expected in ("t.instrumentation.languages[1]: must be one of dotnet, go, java, nodejs, python, got 'ruby'",
                     "t.instrumentation.languages[2]: is listed twice",
                     "t.instrumentation.sampling_ratio: must be between 0 and 1 (inclusive), got 2",
                     "t.instrumentation.lang: unknown key"):
        assert expected in text
    problems = Problems()
    inventory_instrumentation.parse_team_instrumentation({"languages": []}, "t.instrumentation", problems)
    assert problems.items == ["t.instrumentation.languages: must list at least one language"]
