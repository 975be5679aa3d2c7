# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ServiceMonitor and PodMonitor specs of a team's services.

Every target gets `job="<service name>"` (a relabeling added last), so the golden-signal alerts and RED
dashboards select a service's series the same way whatever the scrape setup.
"""

from __future__ import annotations

from ansible_collections.vigil.observability.plugins.module_utils.inventory.monitors import POD_MONITOR
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import Service, Team
from typing import Any, Dict


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
    # The job relabeling goes last, so no other relabeling can move a service's series away from job="<service>".
    ep["relabelings"] = [r.spec() for r in monitor.relabelings] + [
        {"action": "replace", "targetLabel": "job", "replacement": service.name}]
    return ep


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
