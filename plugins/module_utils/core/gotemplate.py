# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory text inside Go templates (Prometheus' annotations and alert labels, Alertmanager's notifier fields)."""

from __future__ import annotations


def literal(text: str) -> str:
    """`text` as a Go template that prints exactly it: every `{{` becomes an action printing "{{".

    `}}` outside an action is plain text, so the opening delimiter is the only one that needs it.
    """
    return text.replace("{{", '{{ "{{" }}')
