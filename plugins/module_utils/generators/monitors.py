# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ServiceMonitor and PodMonitor specs of a team's services.

Every target gets `job="<service name>"` (a relabeling added last), so the golden-signal alerts and RED
dashboards select a service's series the same way whatever the scrape setup.
"""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.inventory.monitors import POD_MONITOR, TRUSTED_LABELS
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import Service, Team
from typing import Any, Dict, List


def object_name(team: Team, service: Service) -> str:
    # The team prefix keeps ours apart from monitors a team's own Helm charts create.
    return "%s-%s" % (team.name, service.name)


def endpoint(service: Service) -> Dict[str, Any]:
    """One scrape endpoint of the monitor's spec."""
    monitor = service.monitor
    ep = {"port": monitor.port, "path": monitor.path}
    if monitor.interval:
        ep["interval"] = str(monitor.interval)
    if monitor.scrape_timeout:
        ep["scrapeTimeout"] = str(monitor.scrape_timeout)
    if monitor.scheme:
        ep["scheme"] = monitor.scheme
    if monitor.tls:
        tls = monitor.tls.spec()
        if tls:
            ep["tlsConfig"] = tls
    if monitor.username and monitor.password:
        ep["basicAuth"] = {"username": monitor.username.selector(), "password": monitor.password.selector()}
    metric_relabelings = [{"action": "drop", "sourceLabels": ["__name__"], "regex": p} for p in monitor.drop_metrics]
    if monitor.keep_metrics:
        metric_relabelings.append({"action": "keep", "sourceLabels": ["__name__"], "regex": "|".join(monitor.keep_metrics)})
    if metric_relabelings:
        ep["metricRelabelings"] = metric_relabelings
    # After the team's relabelings (a labelmap may have written any label): the trusted labels are set again from
    # service discovery or dropped, and job goes last, so nothing moves a series away from its namespace and service.
    ep["relabelings"] = [r.spec() for r in monitor.relabelings] + guard_relabelings(monitor.kind, service.name)
    return ep


def guard_relabelings(kind: str, service_name: str) -> List[Dict[str, Any]]:
    restored = {"namespace": "__meta_kubernetes_namespace"}
    if kind != POD_MONITOR:
        restored["service"] = "__meta_kubernetes_service_name"
    dropped = sorted(set(TRUSTED_LABELS) - set(restored) - {"job"})
    out = [{"action": "labeldrop", "regex": "|".join(dropped)}]
    out += [{"action": "replace", "sourceLabels": [source], "targetLabel": label} for label, source in sorted(restored.items())]
    out.append({"action": "replace", "targetLabel": "job", "replacement": service_name})
    return out


def monitor_spec(team: Team, service: Service) -> Any:
    """(kind, name, spec) of the service's monitor, or None when it has no monitor block."""
    monitor = service.monitor
    if monitor is None:
        return None
    spec = {"selector": {"matchLabels": dict(monitor.selector)}}
    if monitor.kind == POD_MONITOR:
        spec["podMetricsEndpoints"] = [endpoint(service)]
    else:
        spec["endpoints"] = [endpoint(service)]
    if monitor.namespaces:
        spec["namespaceSelector"] = {"matchNames": list(monitor.namespaces)}
    return monitor.kind, object_name(team, service), spec
