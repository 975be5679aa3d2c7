# -*- coding: utf-8 -*-
"""core.gotemplate: inventory text inside Go templates, and the functions a Prometheus template calls."""

from __future__ import annotations

import pytest

from ansible_collections.vigil.observability.plugins.module_utils.core.gotemplate import literal, template_functions


@pytest.mark.parametrize("text, called", [
    ("{{ $value | humanizePercentage }} of {{ $labels.job }}", {"humanizePercentage"}),
    ('{{ with query "up" }}{{ . | first | value }}{{ end }}', {"query", "first", "value"}),
    ("{{query\"up\"}}", {"query"}),
    ("{{- range query `x{a=\"}}\"}` -}}{{ end }}", {"query"}),  # a `}}` inside a raw string does not close the action
    ('{{ printf "%s}}" $labels.x }}', {"printf"}),
    ('{{ "query" }} {{/* query */}} {{ $labels.query }} {{ .Labels.query }}', set()),  # strings, comments, fields, variables
    ("{{ if eq $labels.severity \"critical\" }}page{{ else }}ticket{{ end }}", {"eq"}),
    ("no action at all }}", set()),
])
def test_template_functions_are_the_names_called_outside_strings_comments_and_fields(text, called):
    assert template_functions(text) == called


@pytest.mark.parametrize("text", ["{{ $labels.job", 'x {{ "}}" ', "{{/* not closed }}"])
def test_an_action_that_is_not_closed_is_refused(text):
    with pytest.raises(ValueError, match="not closed"):
        template_functions(text)


def test_literal_prints_its_text_exactly_in_a_template():
    assert literal("a {{ b }} c") == 'a {{ "{{" }} b }} c'
    assert template_functions(literal("{{ query }}")) == set()  # the escaped text calls nothing
