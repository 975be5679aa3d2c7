# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side adapter: the run's inventory variables, templated, as plain data for the core.

The plan is built from task vars, never from module arguments, so no team data and no secret value
is ever an argument a callback could print. Every role's defaults are read from the collection's
own files, so a playbook that runs only some roles still sees every setting with its one default.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, Dict, Iterable, List, Tuple

from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import join_path
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import TEAM_LIST_VAR, TEAM_VAR_PREFIX
from ansible_collections.vigil.observability.plugins.module_utils.inventory.settings import (
    COMPONENT_PREFIXES,
    PLAN_VAR,
    PLATFORM_PREFIX,
    TEAMS_PREFIX,
)

ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "roles")
# Roles whose defaults are settings (helm_release's are per-invocation arguments, not settings).
SETTING_ROLES = ("observability", "kube_prometheus_stack", "loki", "tempo", "opentelemetry", "alloy", "teams")
PREFIXES = (PLATFORM_PREFIX, TEAMS_PREFIX) + tuple(prefix for _c, prefix in COMPONENT_PREFIXES)


def plain(value: Any, depth: int = 0) -> Any:
    """Exact builtin types (Ansible hands over tagged subclasses), deep structures cut off with a marker."""
    if depth > 200:
        raise ValueError("is nested more than 200 levels deep")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {plain(k, depth + 1): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    return value


def _is_omit(value: Any) -> bool:
    return type(value).__name__ == "_OmitType"


def load_defaults(loader) -> Dict[str, Any]:
    """Every setting role's defaults, untemplated (trusted templates, as Ansible loads role defaults)."""
    out: Dict[str, Any] = {}
    for role in SETTING_ROLES:
        path = os.path.join(ROLES_DIR, role, "defaults", "main.yml")
        data = loader.load_from_file(path, trusted_as_template=True) or {}
        out.update(data)
    return out


def setting_names(task_vars: Mapping, defaults: Mapping) -> List[str]:
    names = set(defaults)
    names.update(name for name in task_vars if isinstance(name, str) and name.startswith(PREFIXES))
    names.discard(PLAN_VAR)
    return sorted(names)


def resolve(task_vars: Mapping, templar, loader) -> Tuple[Dict[str, Any], List[Tuple[str, str]], Dict[str, Any]]:
    """(templated settings and team variables, problems as (variable, message), the same untemplated)."""
    defaults = load_defaults(loader)
    available = dict(defaults)
    available.update(task_vars)
    env = templar.copy_with_new_env(available_variables=available)
    resolved: Dict[str, Any] = {}
    raw: Dict[str, Any] = {}
    problems: List[Tuple[str, str]] = []
    for name in setting_names(task_vars, defaults):
        value = task_vars[name] if name in task_vars else defaults[name]
        raw[name] = value
        if name.startswith(TEAM_VAR_PREFIX) or name == TEAM_LIST_VAR:
            value = _prometheus_templates_as_written(name, value)
        try:
            templated = env.template(value)
        except Exception as exc:  # undefined variables, template syntax errors: reported at each failing field
            problems.extend(_field_problems(env, name, value) or [(name, "cannot be templated: %s" % _template_error(exc))])
            continue
        if _is_omit(templated):
            continue
        try:
            resolved[name] = plain(templated)
        except (ValueError, RecursionError) as exc:
            problems.append((name, str(exc)))
    return resolved, problems, raw


def _prometheus_templates_as_written(name: str, value: Any) -> Any:
    """A team variable whose rules' labels and annotations, and rule tests, are kept from Jinja: they hold Prometheus'
    own templates (`{{ $value | humanizePercentage }}`), which a team pastes as it has them (docs/rules.md). A value
    with a Jinja raw block (`{% raw %}...{% endraw %}`, Ansible's usual escape, which ansible-lint accepts) is left to
    Jinja, which takes the block away."""
    teams = value if name == TEAM_LIST_VAR and isinstance(value, list) else [value]
    out = [_team_as_written(team) for team in teams]
    return out if name == TEAM_LIST_VAR and isinstance(value, list) else out[0]


def _team_as_written(team: Any) -> Any:
    if not isinstance(team, Mapping):
        return team
    team = dict(team)
    if isinstance(team.get("rules"), list):
        team["rules"] = [_rule_as_written(rule) for rule in team["rules"]]
    if "rule_tests" in team:
        team["rule_tests"] = _as_written(team["rule_tests"])
    if isinstance(team.get("services"), list):
        team["services"] = [dict(service, rules=[_rule_as_written(rule) for rule in service["rules"]])
                            if isinstance(service, Mapping) and isinstance(service.get("rules"), list) else service
                            for service in team["services"]]
    return team


def _rule_as_written(rule: Any) -> Any:
    if not isinstance(rule, Mapping):
        return rule
    return dict(rule, **{key: _as_written(rule[key]) for key in ("labels", "annotations") if key in rule})


_RAW_BLOCK = re.compile(r"\{%-?\s*raw\s*-?%\}")


def _as_written(value: Any, depth: int = 0) -> Any:
    if depth > 200:
        return value
    if isinstance(value, Mapping):
        return {key: _as_written(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_written(item, depth + 1) for item in value]
    if isinstance(value, str) and not _RAW_BLOCK.search(value):
        return wrap_var(value)
    return value


def _field_problems(env, path: str, value: Any, depth: int = 0) -> List[Tuple[str, str]]:
    """Every field under a variable whose template fails, each templated alone, at its full path (join_path: `a.b`,
    `a[0]`). Only for the message: the variable failed as a whole and is not resolved."""
    if depth > 200:
        return []
    if isinstance(value, Mapping):
        return [p for key, item in value.items() for p in _field_problems(env, join_path(path, str(key)), item, depth + 1)]
    if isinstance(value, (list, tuple)):
        return [p for index, item in enumerate(value) for p in _field_problems(env, join_path(path, index), item, depth + 1)]
    if not isinstance(value, str):
        return []
    try:
        env.template(value)
    except Exception as exc:  # pylint: disable=broad-except
        if type(exc).__name__ == "AnsibleValueOmittedError":  # `omit` alone: the container drops the field
            return []
        return [(path, "cannot be templated: %s" % _template_error(exc))]
    return []


# What a templating error may say. A failing template's text may hold a secret (a token pasted next to a variable),
# and some errors quote values (a lookup quotes its argument, a filter its input): only names are repeated, and
# Jinja's own descriptions of tokens; anything else is left out.
_NAME = r"[A-Za-z_][A-Za-z0-9_]{0,99}"
_UNDEFINED = re.compile(r"'(%s)' is undefined\b" % _NAME)
_NO_ATTRIBUTE = re.compile(r"(?:object of type '(%s)'|'(%s) object') has no attribute '(%s)'(?!\S)" % (_NAME, _NAME, _NAME))
_PLUGIN = re.compile(r"The (lookup|filter|test) plugin '([A-Za-z0-9_.]{1,200})' failed")
_QUOTED = re.compile(r"'([^']*)'")
# Jinja's descriptions of tokens (jinja2.lexer.describe_token): what a syntax error may quote besides names and operators.
_TOKEN_WORDS = frozenset(("begin of comment", "end of comment", "comment", "begin of statement block", "end of statement block",
                          "begin of print statement", "end of print statement", "begin of line statement",
                          "end of line statement", "template data / text", "end of template", "string", "integer", "float",
                          "name", "operator", "data", "linecomment"))


def _quoted_fragment(match: Any) -> str:
    text = match.group(1)
    if text in _TOKEN_WORDS or re.match(_NAME + r"\Z", text) or re.match(r"[^\w\s]{1,3}\Z", text):
        return match.group(0)
    return "'...'"


def _template_error(exc: BaseException) -> str:
    """What went wrong in a template, never its text or a value: the undefined name, the syntax error, the plugin."""
    text = str(getattr(exc, "message", None) or exc).strip()
    first = text.splitlines()[0] if text else ""
    kind = type(exc).__name__
    if kind == "AnsibleUndefinedVariable":
        undefined = _UNDEFINED.match(first)
        if undefined:
            return "'%s' is undefined" % undefined.group(1)
        attribute = _NO_ATTRIBUTE.match(first)
        if attribute:
            return "a %s has no attribute '%s' (undefined)" % (attribute.group(1) or attribute.group(2), attribute.group(3))
        if " has no attribute " in first:  # a key that is no name: not repeated
            return "it asks a value for an attribute or key it does not have (undefined)"
        return "it uses an undefined value"
    if kind == "AnsibleTemplateSyntaxError":
        detail = first.split(": ", 1)[1] if first.startswith("Syntax error in template: ") else first
        return "Jinja syntax error: %s" % _QUOTED.sub(_quoted_fragment, detail)
    plugin = _PLUGIN.match(first)
    if plugin:
        return "the %s plugin '%s' failed (its message is not shown: it may quote a value)" % plugin.groups()
    return "%s (its message is not shown: it may quote a value)" % (kind if kind.startswith("Ansible") else "error")


def groups_of(task_vars: Mapping, group: str) -> List[str]:
    groups = task_vars.get("groups") or {}
    return list(groups.get(group) or [])


# Keys of the alerting blocks whose values are names, timings and matchers, never secrets: masking them would hide
# words such as the default receiver's name ("platform") in every message of a failing run.
STRUCTURAL_KEYS = frozenset(("default_receiver", "receiver", "kind", "group_by", "group_wait", "group_interval",
                             "repeat_interval", "matchers", "secret_name"))


def walk_strings(value: Any, found: set, depth: int = 0, skip_keys: frozenset = frozenset()) -> None:
    """Every string value (not mapping keys: names of fields are no secrets) in a structure, less those under skip_keys."""
    if depth > 200:
        return
    if isinstance(value, str):
        found.add(str(value))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if key not in skip_keys:
                walk_strings(item, found, depth + 1, skip_keys)
    elif isinstance(value, (list, tuple)):
        for item in value:
            walk_strings(item, found, depth + 1, skip_keys)


def iter_team_alerting(values: Mapping[str, Any]) -> Iterable[Any]:
    """Every team's `alerting` block, whatever its shape, and the platform's Alertmanager block."""
    for name, value in values.items():
        if name.startswith("observability_team_"):
            # A team that is not a mapping at all (a string where the mapping belongs) may be anything.
            yield value.get("alerting") if isinstance(value, Mapping) else value
    teams = values.get("observability_teams")
    if isinstance(teams, (list, tuple)):
        for team in teams:
            yield team.get("alerting") if isinstance(team, Mapping) else team
    else:
        yield teams
    yield values.get("observability_alertmanager")


MASK = "********"


class Masker:
    """Replaces known secret strings in output text; paths are never masked (they hold no values)."""

    def __init__(self, secrets: Iterable[str], minimum: int = 4):
        self.secrets = sorted({s for s in secrets if isinstance(s, str) and len(s.strip()) >= minimum}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def deep(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        return value


def broad_secrets(*sources: Mapping[str, Any]) -> set:
    """Every string under any team's `alerting` and under observability_alertmanager, whatever the keys:
    what may be a secret while the input is not yet known to be valid."""
    found: set = set()
    for values in sources:
        for block in iter_team_alerting(values):
            walk_strings(block, found, skip_keys=STRUCTURAL_KEYS)
    return found


def resolve_defaults(task_vars: Mapping, templar, loader) -> Dict[str, Any]:
    """Every setting role's defaults, templated as this run templates them (`loki_namespace` follows the run's
    observability_platform_namespace): what a setting left out, or wrong, reads as. A default whose template fails here
    is left out: the variable it reads is wrong, and reported as such."""
    defaults = load_defaults(loader)
    available = dict(defaults)
    available.update(task_vars)
    env = templar.copy_with_new_env(available_variables=available)
    out: Dict[str, Any] = {}
    for name, value in defaults.items():
        try:
            out[name] = plain(env.template(value))
        except Exception:  # pylint: disable=broad-except
            continue
    return out
