# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes' naming rules, one each: DNS labels and subdomains (object names), label keys and label values.

They are the API server's own rules (k8s.io/apimachinery/pkg/util/validation: IsDNS1123Label, IsDNS1123Subdomain,
IsQualifiedName, IsValidLabelValue), so a name accepted here is one the API server accepts. Every parser asks here;
none writes its own pattern for these.
"""

from __future__ import annotations

import re
from typing import Any

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
# Anchored both ends with \Z (a `$` would accept a trailing newline), for the Reader's `pattern=` as well.
DNS_LABEL = r"^" + _LABEL + r"\Z"
DNS_SUBDOMAIN = r"^(?=.{1,253}\Z)" + _LABEL + r"(\." + _LABEL + r")*\Z"
DNS_LABEL_RE = re.compile(DNS_LABEL)
DNS_SUBDOMAIN_RE = re.compile(DNS_SUBDOMAIN)
# A label key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters.
_LABEL_NAME_RE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_LABEL_VALUE_RE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")


def is_dns_label(value: Any, max_len: int = 63) -> bool:
    """A namespace, team or Service name (RFC 1123 label); `max_len` shortens it where a name is built on it."""
    return isinstance(value, str) and len(value) <= max_len and bool(DNS_LABEL_RE.match(value))


def is_dns_subdomain(value: Any) -> bool:
    """Most objects' names (Secrets, ConfigMaps, PrometheusRules): dot-separated labels, at most 253 characters."""
    return isinstance(value, str) and bool(DNS_SUBDOMAIN_RE.match(value))


def is_label_key(value: Any) -> bool:
    """A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain, the name at most 63 characters."""
    if not isinstance(value, str):
        return False
    prefix, slash, name = value.rpartition("/")
    if slash and not is_dns_subdomain(prefix):
        return False
    return bool(_LABEL_NAME_RE.fullmatch(name))


def is_label_value(value: Any) -> bool:
    """A label value: empty, or at most 63 letters, digits, '-', '_', '.', beginning and ending alphanumeric."""
    return isinstance(value, str) and bool(_LABEL_VALUE_RE.fullmatch(value))
