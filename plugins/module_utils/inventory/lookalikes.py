# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets pasted where they would be rendered in clear: refused, with the path, never echoed.

Secrets belong in a receiver's secret fields, which become Kubernetes Secrets. Any other inventory string reaches a
PrometheusRule, a ConfigMap, a values file or the Alertmanager configuration, all readable by far more people. A
string is refused when it holds the value of any receiver secret (any team's or the platform's), a URL with a
password or a token in its query, or a credential of a well-known shape.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, List, Mapping, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path

# Query parameters that carry credentials (Azure SAS `sig`, AWS presigned URLs, API keys, OAuth tokens).
_QUERY = r"[?&](?:access_token|auth_token|token|api[_-]?key|apikey|key|secret|client_secret|password|passwd|pwd|sig|signature" \
         r"|x-amz-signature|x-amz-credential)=[^&#\s]"
SHAPES = (
    ("a URL with a password", re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:[^/\s@]+@")),
    ("a URL with a credential in its query", re.compile("(?i:%s)" % _QUERY)),
    ("a Slack webhook URL", re.compile(r"hooks\.slack\.com/(?:services|triggers|workflows)/")),
    ("a Slack token", re.compile(r"\bxox[abprse]-[0-9A-Za-z-]{10,}")),
    ("a Microsoft Teams or Power Automate webhook URL", re.compile(r"webhook\.office\.com/webhook|\.logic\.azure\.com[^\s]*/triggers/")),
    ("a Discord webhook URL", re.compile(r"discord(?:app)?\.com/api/webhooks/")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}")),
    ("a GitLab token", re.compile(r"\bglpat-[0-9A-Za-z_-]{20}")),
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a bearer token", re.compile(r"\b[Bb]earer\s+[A-Za-z0-9._~+/-]{20,}")),
)
# All shapes in one pass: every inventory string is searched once (a plan reads tens of thousands of them).
_ANY_SHAPE = re.compile("|".join("(?P<s%d>%s)" % (i, shape.pattern) for i, (_what, shape) in enumerate(SHAPES)))
# Shorter secrets would match ordinary words.
MIN_SECRET_LENGTH = 8


def _secret_keys(keys: Tuple[Any, ...]) -> bool:
    """Whether a path's strings are secrets by design (parsed and kept apart by inventory/alerting), judged on its keys
    (a mapping key or list index each), without joining them."""
    return keys[-2:] == ("alerting", "receivers") or (keys[0] == "observability_alertmanager" and (
        keys[1:2] == ("receivers",) or keys[1:3] == ("smtp", "auth_password")))


def _path(keys: Tuple[Any, ...]) -> str:
    path = ""
    for key in keys:
        path = join_path(path, key)
    return path


def _strings(variables: Mapping[str, Any]) -> Iterable[Tuple[Tuple[Any, ...], str]]:
    """(keys of the path, text) of every string outside the secret subtrees, in order; paths are joined only when
    reported (a plan reads tens of thousands of strings)."""
    stack: List[Tuple[Tuple[Any, ...], Any]] = [((name,), variables[name]) for name in sorted(variables, reverse=True)]
    while stack:
        keys, value = stack.pop()
        if isinstance(value, str):
            yield keys, value
        elif isinstance(value, dict):
            if keys[-1] == "receivers" or keys[-1] == "auth_password":
                if _secret_keys(keys):
                    continue
            stack.extend((keys + (str(k),), v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]), reverse=True))
        elif isinstance(value, list):
            stack.extend((keys + (i,), v) for i, v in reversed(list(enumerate(value))))


def check(variables: Mapping[str, Any], secrets: Mapping[str, str], problems: Problems) -> None:
    """Report every string of `variables` that looks like a secret; `secrets` maps secret values to their paths."""
    known = sorted((s for s in secrets if len(s) >= MIN_SECRET_LENGTH), key=len, reverse=True)
    pasted = re.compile("|".join(re.escape(s) for s in known)) if known else None
    for keys, text in _strings(variables):
        if keys[-1] == "auth_password" and _secret_keys(keys):
            continue
        found = pasted.search(text) if pasted else None
        if found:
            why = "the value of the secret %s" % secrets[found.group(0)]
        else:
            shape = _ANY_SHAPE.search(text)
            why = SHAPES[int(shape.lastgroup[1:])][0] if shape else None
        if why:
            problems.add(_path(keys), "holds what looks like a secret (%s); the value is not shown. Secrets go only in a receiver's "
                         "secret fields, which become Kubernetes Secrets (docs/tenancy.md)" % why)
