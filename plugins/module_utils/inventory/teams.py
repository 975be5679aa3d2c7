# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and validate teams and their services; each concern of a service (SLOs, golden signals, dashboards,
namespaces) has its own module beside this one, as generators/ has.

Input is plain data as Ansible hands it over (`observability_team_<name>` variables and the `observability_teams`
list); output is the frozen dataclasses of inventory/types. Every problem is reported with the variable path it
came from, all at once.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from dataclasses import replace
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import quote
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import Reader, describe, no_duplicate_names
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import is_dns_label
from ansible_collections.vigil.observability.plugins.module_utils.inventory.alerting import parse_team_alerting
from ansible_collections.vigil.observability.plugins.module_utils.inventory.instrumentation import parse_team_instrumentation
from ansible_collections.vigil.observability.plugins.module_utils.inventory.monitors import parse_monitor
from ansible_collections.vigil.observability.plugins.module_utils.inventory.monitors import dropped_by
from ansible_collections.vigil.observability.plugins.module_utils.inventory import slo_specs
from ansible_collections.vigil.observability.plugins.module_utils.inventory.dashboards import parse_dashboards, unique_dashboard_uids
from ansible_collections.vigil.observability.plugins.module_utils.inventory.golden import parse_golden, parse_metrics, series_read
from ansible_collections.vigil.observability.plugins.module_utils.inventory.rules import parse_rule_tests, parse_rules
from ansible_collections.vigil.observability.plugins.module_utils.inventory.slo import parse_slo
from ansible_collections.vigil.observability.plugins.module_utils.inventory.tenancy import monitored_namespaces, namespace_owners
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import (
    GOLDEN_SIGNALS,
    NOT_A_LIST,
    Service,
    Settings,
    SLO,
    Team,
    TEAM_LIST_VAR,
    TEAM_VAR_PREFIX,
)


def parse_service(raw: Any, path: str, problems: Problems, settings: Settings, team: str = "", namespace: str = "") -> Optional[Service]:
    """A service of team `team` (whose rules read namespace `namespace`)."""
    r = Reader(raw, path, problems)
    name = r.name("name", required=True)
    monitor = parse_monitor(r.raw("monitor"), r.sub("monitor"), problems, name, settings.scrape_interval) if r.has("monitor") else None
    r.raw("monitor")
    slo_items = r.items("slos")
    runbook_url = r.string("runbook_url", default="")
    metrics = parse_metrics(r.raw("metrics"), r.sub("metrics"), problems)
    golden = parse_golden(r.raw("golden_signals"), r.sub("golden_signals"), problems)
    rules = parse_rules(r.items("rules"), problems, team, namespace, (), name or "")
    r.done()
    slos = tuple(s for s in (parse_slo(raw_slo, p, problems, settings) for p, raw_slo in slo_items) if s)
    no_duplicate_names(list(slo_items), "SLO", problems)
    if name is None:
        return None
    service = Service(name=name, monitor=monitor, slos=slos, runbook_url=runbook_url, path=path, metrics=metrics, golden=golden,
                      rules=rules)
    if monitor is not None:
        readers = {}
        for series, reader in series_read(service):
            readers.setdefault(series, []).append(reader)
        for series, names in sorted(readers.items()):
            reason = dropped_by(monitor, series)
            if reason:
                problems.add(r.sub("monitor"), "%s: %s, which %s read%s" % (reason, series, " and ".join(names), "" if len(names) > 1 else "s"))
    return service


def parse_team(raw: Any, path: str, problems: Problems, settings: Settings, default_name: Optional[str] = None) -> Optional[Team]:
    r = Reader(raw, path, problems)
    name = r.name("name", required=default_name is None, default=default_name)
    namespace = r.name("namespace", default=name)
    labels = r.label_map("labels")
    for reserved in ("alertname", "namespace", "service", "severity", "slo", "team"):
        if reserved in labels:
            problems.add(join_path(r.sub("labels"), reserved), "is set by the platform and cannot be overridden")
    clusters = None
    if r.has("clusters"):
        clusters = tuple(sorted(set(r.string_list("clusters"))))
        for cluster in clusters:
            if settings.clusters and cluster not in settings.clusters:
                problems.add(r.sub("clusters"), "names %s, which is not a host of observability_clusters (%s)" % (
                    describe(cluster), ", ".join(settings.clusters)))
    else:
        r.raw("clusters")
    service_items = r.items("services")
    spec_items = r.items("slo_specs")
    rule_items = r.items("rules")
    test_items = r.items("rule_tests")
    dashboards = parse_dashboards(r.items("dashboards"), problems)
    alerting = parse_team_alerting(r.raw("alerting"), r.sub("alerting"), problems)
    manage_namespace = r.boolean("manage_namespace", default=True)
    namespace_labels = r.k8s_label_map("namespace_labels")
    rbac = Reader(r.raw("rbac"), r.sub("rbac"), problems)
    rbac_groups = tuple(sorted(set(rbac.string_list("groups")))) if rbac.has("groups") else ((name,) if name else ())
    rbac_users = tuple(sorted(set(rbac.string_list("users"))))
    rbac.done()
    instrumentation = parse_team_instrumentation(r.raw("instrumentation"), r.sub("instrumentation"), problems)
    shares = []
    for item_path, item in r.items("shares_namespace_with"):
        if not is_dns_label(item):
            problems.add(item_path, "must be a team name, got %s" % describe(item))
        elif item == name:
            problems.add(item_path, "names the team itself")
        elif item not in shares:
            shares.append(item)
    r.done()
    services = tuple(s for s in (parse_service(item, p, problems, settings, name or "", namespace or "") for p, item in service_items) if s)
    no_duplicate_names(service_items, "service", problems)
    services = _with_imported(services, slo_specs.convert(spec_items, problems, settings, name or ""), r.sub("slo_specs"), problems)
    if name is None or namespace is None:
        return None
    for service in services:
        _own_namespace_selectors(service, namespace, problems)
    rules = parse_rules(rule_items, problems, name, namespace, [s.name for s in services])
    rule_tests = parse_rule_tests(test_items, problems, name, namespace)
    return Team(
        name=name,
        namespace=namespace,
        labels=tuple(sorted(labels.items())),
        clusters=clusters,
        services=tuple(sorted(services, key=lambda s: s.name)),
        path=path,
        dashboards=dashboards,
        alerting=alerting,
        manage_namespace=manage_namespace,
        namespace_labels=tuple(sorted(namespace_labels.items())),
        rbac_groups=rbac_groups,
        rbac_users=rbac_users,
        instrumentation=instrumentation,
        shares_namespace_with=tuple(sorted(shares)),
        rules=rules,
        rule_tests=rule_tests,
    )


def _with_imported(services: Tuple[Service, ...], imported: List[Tuple[str, SLO]], path: str, problems: Problems) -> Tuple[Service, ...]:
    """The team's services with the SLOs of its slo_specs (each at its place in its spec)."""
    if not imported:
        return services
    by_name = {service.name: service for service in services}
    added: Dict[str, List[SLO]] = {}
    for service_name, slo in imported:
        where = slo.path
        existing = [s.name for s in by_name[service_name].slos] if service_name in by_name else []
        if slo.name in existing or slo.name in [s.name for s in added.get(service_name, [])]:
            problems.add(where, "defines SLO %s of service %s a second time (in the inventory or another spec)" % (slo.name, service_name))
            continue
        added.setdefault(service_name, []).append(slo)
    out = dict(by_name)
    for service_name, slos in added.items():
        if service_name in out:
            out[service_name] = replace(out[service_name], slos=out[service_name].slos + tuple(slos))
        else:
            # A service only a spec names: its SLOs, and no golden-signal alerts on metrics nobody declared.
            out[service_name] = Service(name=service_name, monitor=None, slos=tuple(slos), runbook_url="", path=path,
                                        metrics=parse_metrics(None, path, problems),
                                        golden=parse_golden({signal: False for signal in GOLDEN_SIGNALS}, path, problems))
    return tuple(out[name] for name in sorted(out))


def _own_namespace_selectors(service: Service, namespace: str, problems: Problems) -> None:
    """A team's selectors read its own namespace's series: the platform adds namespace="<namespace>" to each."""
    selectors = [(join_path(join_path(service.path, "metrics"), "selector"), service.metrics.selector)]
    for slo in service.slos:
        selectors += [(join_path(slo.path, "errors"), slo.errors), (join_path(slo.path, "total"), slo.total)]
        if slo.latency is not None:
            selectors.append((join_path(join_path(slo.path, "latency"), "selector"), slo.latency.selector))
    for path, selector in selectors:
        for matcher in selector.matchers if selector is not None else ():
            if matcher.name == "namespace" and (matcher.op, matcher.value) != ("=", namespace):
                problems.add(path, "must not match on namespace other than namespace=%s: a team's rules read only the series of its "
                             "namespace %r (see docs/tenancy.md)" % (quote(namespace), namespace))


# The platform team: the name its SLOs' rules and alerts carry (no team may use the platform namespace).
PLATFORM_TEAM = "platform"
PLATFORM_SLOS_VAR, PLATFORM_SLO_SPECS_VAR = "observability_platform_slos", "observability_platform_slo_specs"


def parse_platform_team(variables: Mapping[str, Any], settings: Settings, problems: Problems) -> Optional[Team]:
    """The platform's own SLOs (observability_platform_slos, observability_platform_slo_specs) as a team of their own,
    in the platform namespace, whose selectors read the components' series wherever they are; None without any."""
    r = Reader({"slos": variables.get(PLATFORM_SLOS_VAR) or [], "specs": variables.get(PLATFORM_SLO_SPECS_VAR) or []}, "", problems,
               paths={"slos": PLATFORM_SLOS_VAR, "specs": PLATFORM_SLO_SPECS_VAR})
    items, spec_items = r.items("slos"), r.items("specs")
    if not items and not spec_items:
        return None
    services = []
    for path, raw in items:
        if isinstance(raw, dict) and "golden_signals" not in raw:
            # Golden signals read a service's HTTP series in its namespace; a component's are its own: off unless asked.
            raw = dict(raw, golden_signals={signal: False for signal in GOLDEN_SIGNALS})
        service = parse_service(raw, path, problems, settings, PLATFORM_TEAM, settings.platform_namespace)
        if service is not None:
            services.append(service)
    no_duplicate_names(items, "service", problems)
    services = _with_imported(tuple(services), slo_specs.convert(spec_items, problems, settings, PLATFORM_TEAM), PLATFORM_SLO_SPECS_VAR,
                              problems)
    return Team(name=PLATFORM_TEAM, namespace=settings.platform_namespace, services=tuple(sorted(services, key=lambda s: s.name)),
                path=PLATFORM_SLOS_VAR, reads_all_namespaces=True)


def collect_team_inputs(variables: Mapping[str, Any], team_list: Any = None) -> List[Tuple[str, Any, Any]]:
    """Pair every team definition with its variable path.

    `variables` maps variable names to values; those named observability_team_<name>
    are teams (the suffix, with '_' as '-', is the default team name).
    """
    inputs = []
    for var in sorted(variables):
        if var.startswith(TEAM_VAR_PREFIX) and var != TEAM_LIST_VAR:
            suffix = var[len(TEAM_VAR_PREFIX):]
            inputs.append((var, variables[var], suffix.replace("_", "-")))
    if team_list is not None and not isinstance(team_list, list):
        # Enumerating a mapping or a string would report its keys or characters as teams.
        inputs.append((TEAM_LIST_VAR, team_list, NOT_A_LIST))
        return inputs
    for index, raw in enumerate(team_list or []):
        inputs.append((join_path(TEAM_LIST_VAR, index), raw, None))
    return inputs


def parse_teams(inputs: Sequence[Tuple[str, Any, Any]], settings: Settings, problems: Optional[Problems] = None) -> List[Team]:
    """Parse (path, raw, default_name) triples into teams sorted by name; raise ModelError on any problem."""
    own = problems is None
    problems = Problems() if own else problems
    teams, seen_names = [], {}
    for path, raw, default_name in inputs:
        if default_name is NOT_A_LIST:
            problems.add(path, "must be a list of team mappings, got %s" % describe(raw))
            continue
        named = isinstance(raw, dict) and raw.get("name") is not None
        if default_name is not None and not named and not is_dns_label(default_name):
            problems.add(path, "the variable name gives team name %r, which is not a valid Kubernetes name; set `name`" % default_name)
        team = parse_team(raw, path, problems, settings, default_name)
        if team is None:
            continue
        if team.name in seen_names:
            problems.add(path, "duplicate team name %r (also defined by %s)" % (team.name, seen_names[team.name]))
            continue
        seen_names[team.name] = path
        teams.append(team)
    unique_dashboard_uids(teams, problems)
    owners = namespace_owners(teams, problems)
    monitored_namespaces(teams, owners, problems)
    if own:
        problems.raise_if_any()
    return sorted(teams, key=lambda t: t.name)
