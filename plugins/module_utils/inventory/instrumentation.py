# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A team's OpenTelemetry auto-instrumentation settings (`instrumentation`): languages, sampling, propagators."""

from __future__ import annotations

from dataclasses import dataclass
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import decimal_str
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe
from typing import Any


INSTRUMENTATION_NAME = "vigil"


# Instrumentation spec key per inventory language (the annotation is instrumentation.opentelemetry.io/inject-<key>).
LANGUAGES = ("dotnet", "go", "java", "nodejs", "python")


PROPAGATORS = ("tracecontext", "baggage")


@dataclass(frozen=True)
class TeamInstrumentation:
    languages: tuple = ()
    sampling_ratio: str = "1"


def parse_team_instrumentation(raw: Any, path: str, problems: Problems) -> Any:
    """A team's `instrumentation: {languages: [python, ...], sampling_ratio: 0.25}`; None when absent."""
    if raw is None:
        return None
    r = Reader(raw, path, problems)
    languages = []
    for item_path, item in r.items("languages", required=True):
        if item not in LANGUAGES:
            problems.add(item_path, "must be one of %s, got %s" % (", ".join(LANGUAGES), describe(item)))
        elif item in languages:
            problems.add(item_path, "is listed twice")
        else:
            languages.append(item)
    ratio = r.decimal("sampling_ratio", low=0, high=1, low_open=False, high_open=False)
    r.done()
    if isinstance(r.data.get("languages"), list) and not r.data["languages"]:
        problems.add(join_path(path, "languages"), "must list at least one language")
    text = "1" if ratio is None else decimal_str(ratio)
    return TeamInstrumentation(languages=tuple(sorted(languages)), sampling_ratio=text)
