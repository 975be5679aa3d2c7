# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over the pure core; documentation is in the sidecar YAML files beside this one."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.vigil.observability.plugins.plugin_utils import manifests as _manifests
from ansible_collections.vigil.observability.plugins.plugin_utils import plan_data
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import prune
from ansible_collections.vigil.observability.plugins.module_utils.generators import slo
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.core.versions import version_satisfies as _version_satisfies
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import SelectorError, parse_selector


def stale_objects(found, generated, only_teams=None, delete_namespaces=False):
    return prune.stale_objects(found, generated, only_teams or None, delete_namespaces)


def claim_namespaces(objects, found):
    return prune.claim_namespaces(objects, found)


def in_new_namespaces(objects, found):
    return prune.in_new_namespaces(objects, found)


def manifests(text):
    """The documents of a Kubernetes manifest file, read as kubectl and Helm read them."""
    if not isinstance(text, str):
        raise AnsibleFilterError("manifests: expects YAML text, got %s" % type(text).__name__)
    try:
        return _manifests.documents(text)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise AnsibleFilterError("manifests: %s" % exc) from None


def plan_objects(plan, scopes):
    """Every object of the plan's scopes matching any of the glob patterns, in scope order."""
    if not isinstance(plan, dict) or not isinstance(plan.get("scopes"), dict):
        raise AnsibleFilterError("plan_objects: expects the registered result of vigil.observability.plan")
    return plan_data.objects(plan, [scopes] if isinstance(scopes, str) else list(scopes))


def slo_burn_rates(objective, period="30d", tiers=None):
    """The burn factor and error-ratio threshold of each tier for one objective."""
    problems = Problems()
    rates = slo.burn_rates(objective, period, tiers, problems)
    if problems:
        raise AnsibleFilterError("; ".join(problems.items))
    return rates


def version_satisfies(version, constraint):
    try:
        return _version_satisfies(version, constraint)
    except ValueError as exc:
        raise AnsibleFilterError("version_satisfies: %s" % exc) from None


def promql_selector(value):
    try:
        return str(parse_selector(value))
    except SelectorError as exc:
        raise AnsibleFilterError("promql_selector: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {
            "claim_namespaces": claim_namespaces,
            "in_new_namespaces": in_new_namespaces,
            "manifests": manifests,
            "plan_objects": plan_objects,
            "promql_selector": promql_selector,
            "slo_burn_rates": slo_burn_rates,
            "stale_objects": stale_objects,
            "version_satisfies": version_satisfies,
        }
