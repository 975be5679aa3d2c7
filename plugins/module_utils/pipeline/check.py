# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stage 4, check: what the cluster and the tools would refuse, refused first, at the inventory path it comes from.

Object sizes and rule group names (what the API server, etcd or the Prometheus Operator would refuse: core/limits.py),
two scopes generating one object, promtool on every rule and amtool on the Alertmanager configuration, a failure
blamed on whose part fails. Nothing is written or applied before this stage passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core import limits
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.objects import COMPONENT_LABEL
from ansible_collections.vigil.observability.plugins.module_utils.generators import alerting as generators_alerting
from ansible_collections.vigil.observability.plugins.module_utils.generators import cluster as generators_cluster
from ansible_collections.vigil.observability.plugins.module_utils.generators.rules import TEAM_RULES_COMPONENT
from ansible_collections.vigil.observability.plugins.module_utils.generators.cluster import object_key as _key
from ansible_collections.vigil.observability.plugins.module_utils.inventory import alerting as inventory_alerting
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import toolcheck
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.compose import RunConfig
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.generate import Generated
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.render import object_path


@dataclass(frozen=True)
class Checked:
    """Which tools judged the plan (a missing tool in `auto` mode is skipped, and the plan says so)."""

    promtool: bool
    amtool: bool
    amtool_swapped: List[str]
    rule_tests: int  # the teams' promtool unit tests run (and passed)
    warnings: List[str]


def check(config: RunConfig, generated: Generated, problems: Problems, tool_cache: Optional[str] = None) -> Checked:
    """Every check of the generated plan; problems are added to `problems` (the caller raises them all at once)."""
    scope_paths, bundle = generated.scope_paths, generated.bundle
    all_objects = {scope: value["objects"] for scope, value in generated.scopes.items()}
    _duplicates(all_objects, scope_paths, problems)
    limit_problems(all_objects, scope_paths, bundle.origins, problems, bundle.rule_spec_bounds)
    rule_group_problems(all_objects, scope_paths, bundle.origins, problems)
    am_plan = generated.alerting
    alertmanager_config_problems(am_plan.config, am_plan.mode == inventory_alerting.GLOBAL, problems)
    rule_scopes = {scope: objects for scope, objects in all_objects.items()
                   if scope.startswith("team/") or scope == generators_cluster.PLATFORM_SCOPE}
    team_rule_name_problems(config.build_teams, rule_scopes, problems)
    promtool_checked = rule_problems(rule_scopes, scope_paths, problems, config.platform.promtool, tool_cache, bundle.origins)
    warnings: List[str] = []
    tested = rule_test_problems(config.build_teams, rule_scopes, problems, config.platform.promtool, warnings) if not problems else 0
    amtool_checked, swapped = alertmanager_problems(am_plan.config, problems, config.platform.amtool, config.teams)
    return Checked(promtool=promtool_checked, amtool=amtool_checked, amtool_swapped=swapped, rule_tests=tested, warnings=warnings)


def _team_rules(objects: Sequence[Dict[str, Any]], written: bool) -> List[Dict[str, Any]]:
    """The rules of a scope's PrometheusRules: those the team wrote itself (`written`), or those the platform generated."""
    return [rule for obj in objects if obj["kind"] == "PrometheusRule"
            and (obj["metadata"]["labels"].get(COMPONENT_LABEL) == TEAM_RULES_COMPONENT) == written
            for group in obj["spec"]["groups"] for rule in group["rules"]]


def team_rule_name_problems(teams: Sequence[Any], rule_scopes: Mapping[str, List[Dict[str, Any]]], problems: Problems) -> None:
    """A team's own alert may not take the name of an alert the platform generates for it (or for itself): the
    catalogue, silences and inhibitions would not tell them apart."""
    platform = {r["alert"] for r in _team_rules(rule_scopes.get(generators_cluster.PLATFORM_SCOPE, []), False) if "alert" in r}
    for team in teams:
        generated = platform | {r["alert"] for r in _team_rules(rule_scopes.get(generators_cluster.team_scope(team.name), []), False)
                                if "alert" in r}
        for rule in list(team.rules) + [rule for service in team.services for rule in service.rules]:
            if rule.kind == "alert" and rule.name in generated:
                problems.add(join_path(rule.path, "alert"), "%r is the name of an alert the platform generates (%s); choose another"
                             % (rule.name, "its self-check" if rule.name in platform else "the team's SLO or golden-signal alerts"))


def rule_test_problems(teams: Sequence[Any], rule_scopes: Mapping[str, List[Dict[str, Any]]], problems: Problems, mode: str,
                       warnings: List[str]) -> int:
    """Each team's promtool unit tests against every rule its objects hold (its own, its SLOs', its golden signals');
    a failing test is a problem at the test's path. Returns how many ran."""
    tests = [test for team in teams if generators_cluster.team_scope(team.name) in rule_scopes for test in team.rule_tests]
    if not tests or mode == "skip":
        if tests:
            warnings.append("%d rule_tests not run: observability_promtool is skip" % len(tests))
        return 0
    path = toolcheck.find_tool("promtool")
    if not path:
        if mode != "require":  # require: rule_problems has said promtool is missing
            warnings.append("%d rule_tests not run: promtool is not on PATH (Debian: apt-get install prometheus)" % len(tests))
        return 0
    for team in teams:
        scope = generators_cluster.team_scope(team.name)
        if not team.rule_tests or scope not in rule_scopes:
            continue  # a team this cluster does not run
        objects = rule_scopes[scope]
        groups = [group for obj in objects if obj["kind"] == "PrometheusRule" for group in obj["spec"]["groups"]]
        failures = toolcheck.promtool_test_rules(groups, {test.path: test.test for test in team.rule_tests}, promtool=path)
        for label, failure in sorted(failures.items()):
            problems.add(label, "the test fails (promtool test rules): %s" % failure)
    return len(tests)


def _duplicates(plan_scopes: Dict[str, List[dict]], scope_paths: Dict[str, str], problems: Problems) -> None:
    """Two scopes (teams, releases, the platform) must never generate the same object or file."""
    owners: Dict[Tuple[str, str, str, str], str] = {}
    files: Dict[str, str] = {}
    for scope in sorted(plan_scopes):
        for obj in plan_scopes[scope]:
            meta = obj["metadata"]
            key = (obj["apiVersion"].split("/")[0], obj["kind"], meta.get("namespace", ""), meta["name"])
            where = "%s/%s" % (key[2], key[3]) if key[2] else key[3]
            if key in owners and owners[key] != scope:
                problems.add(scope_paths.get(scope, scope), "generates %s %s, which %s also generates" % (
                    obj["kind"], where, scope_paths.get(owners[key], owners[key])))
            owners.setdefault(key, scope)
            rel = object_path(obj)
            if rel in files and files[rel] != scope:
                problems.add(scope_paths.get(scope, scope), "writes %s, which %s also writes" % (rel, scope_paths.get(files[rel], files[rel])))
            files.setdefault(rel, scope)


def _where(obj: Mapping[str, Any]) -> str:
    meta = obj["metadata"]
    return "%s %s%s" % (obj["kind"], meta["namespace"] + "/" if meta.get("namespace") else "", meta["name"])


def limit_problems(objects_by_scope: Mapping[str, List[Dict[str, Any]]], scope_paths: Mapping[str, str],
                   origins: Mapping[Tuple[str, str, str], str], problems: Problems,
                   rule_spec_bounds: Optional[Mapping[Tuple[str, str, str], int]] = None) -> None:
    """Every object over a limit, at the inventory path it comes from (else its scope's).

    `rule_spec_bounds`: what the generators measured of their rule objects' specs while cutting them (limits.measured_parts).
    """
    bounds = rule_spec_bounds or {}
    for scope in sorted(objects_by_scope):
        for obj in objects_by_scope[scope]:
            for what, size, limit in limits.object_problems(obj, bounds.get(_key(obj), 0)):
                path = origins.get(_key(obj)) or scope_paths.get(scope, scope)
                problems.add(path, "generates %s: %s" % (_where(obj), limits.describe_problem(what, size, limit)))


def rule_group_problems(objects_by_scope: Mapping[str, List[Dict[str, Any]]], scope_paths: Mapping[str, str],
                        origins: Mapping[Tuple[str, str, str], str], problems: Problems) -> None:
    """Rule group names are unique within a namespace, whichever objects hold the groups."""
    seen: Dict[Tuple[str, str], str] = {}
    for scope in sorted(objects_by_scope):
        for obj in objects_by_scope[scope]:
            if obj["kind"] != "PrometheusRule":
                continue
            for group in obj["spec"].get("groups", []):
                key = (obj["metadata"].get("namespace", ""), group["name"])
                if key in seen:
                    problems.add(origins.get(_key(obj)) or scope_paths.get(scope, scope),
                                 "generates rule group %r in %s, which %s also holds" % (group["name"], _where(obj), seen[key]))
                seen.setdefault(key, _where(obj))


def alertmanager_config_problems(config: Mapping[str, Any], global_mode: bool, problems: Problems) -> None:
    """The global Alertmanager configuration holds every team's routes and receivers, and the chart writes it as one
    Secret's `alertmanager.yaml`: over 1 MiB the API server refuses the Secret and the stack's upgrade fails."""
    if not global_mode:
        return  # per-namespace mode: each team's part is an AlertmanagerConfig object, measured with the others
    size = limits.yaml_bytes_against(config, limits.MAX_DATA_BYTES)
    if size > limits.MAX_DATA_BYTES:
        problems.add("observability_alertmanager_mode", "is global, and the Alertmanager configuration of every team's routes and "
                     "receivers (one Secret the chart writes): %s; per_namespace gives each team namespace an "
                     "AlertmanagerConfig of its own" % limits.describe_problem("its data", size, limits.MAX_DATA_BYTES))


def rule_problems(objects_by_scope: Dict[str, List[dict]], scope_paths: Dict[str, str], problems: Problems, mode: str,
                  cache_dir: Optional[str] = None, origins: Optional[Mapping[Tuple[str, str, str], str]] = None) -> bool:
    """promtool check rules --lint-fatal on every rule object; a failure at the inventory path the object comes from
    (its `origins` entry: a team's own rules, a service's SLOs), else its scope's."""
    if mode == "skip":
        return False
    path = toolcheck.find_tool("promtool")
    if not path:
        if mode == "require":
            problems.add("observability_promtool", "is require, but promtool is not on PATH (Debian: apt-get install prometheus)")
        return False
    files, owner = {}, {}
    for scope in sorted(objects_by_scope):
        for obj in objects_by_scope[scope]:
            if obj["kind"] == "PrometheusRule":
                label = "%s/%s" % (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
                files[label] = {"groups": obj["spec"]["groups"]}
                owner[label] = (origins or {}).get(_key(obj)) or scope_paths.get(scope, scope)
    for label, failure in sorted(toolcheck.promtool_check_rules(files, promtool=path, cache_dir=cache_dir).items()):
        problems.add(owner[label], "the generated rules fail promtool check rules: %s" % failure)
    return True


def alertmanager_problems(config: dict, problems: Problems, mode: str, teams: Sequence[Any] = ()) -> Tuple[bool, List[str]]:
    """amtool check-config on the configuration; a failure is reported at whose part fails, checked alone: a team's
    receiver (`<team>-<key>`) at its inventory path, a team's routes at its `alerting`, the rest at the Alertmanager
    setting. One team's input then never reads as the platform's problem."""
    if mode == "skip":
        return False, []
    path = toolcheck.find_tool("amtool")
    if not path:
        if mode == "require":
            problems.add("observability_amtool", "is require, but amtool is not on PATH (Debian: apt-get install prometheus-alertmanager)")
        return False, []
    failures, swapped = toolcheck.amtool_check_config(config, amtool=path)
    if not failures:
        return True, swapped
    present = {receiver["name"] for receiver in config.get("receivers", [])}
    owners = []  # (team, {receiver name: inventory path}) of every team with receivers in the configuration
    for team in teams:
        names = {inventory_alerting.receiver_name(team, i.key): i.path for i in (team.alerting.receivers if team.alerting else ())}
        if names and set(names) <= present:
            owners.append((team, names))
    owned = set().union(*(set(names) for _team, names in owners))

    def part(keep):  # the platform's part plus the receivers in `keep` (and the routes to them), checked alone
        return toolcheck.amtool_check_config(generators_alerting.config_part(config, owned, keep), amtool=path)[0]

    platform_failures = part(set()) if owned else failures
    blamed = False
    for team, names in ([] if platform_failures else owners):
        team_failures = part(set(names))
        if not team_failures:
            continue
        blamed = True
        by_receiver = {name: part({name}) for name in sorted(names)}
        for name, receiver_failures in by_receiver.items():
            for failure in receiver_failures:
                problems.add(names[name], "the Alertmanager receiver generated from it (%s) fails amtool check-config: %s" % (name, failure))
        if not any(by_receiver.values()):
            for failure in team_failures:
                problems.add(join_path(team.path, "alerting"), "the Alertmanager routes generated from it fail amtool check-config: %s" % failure)
    if not blamed:
        for failure in platform_failures or failures:
            problems.add(inventory_alerting.ALERTMANAGER_VAR, "the generated Alertmanager configuration fails amtool check-config: %s" % failure)
    return True, swapped
