#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cluster_objects
short_description: Build every Kubernetes object of one cluster from the team inventory
version_added: 0.1.0
description:
  - Validates the team inventory (every C(observability_team_<name>) variable and the
    C(observability_teams) list) and builds the objects one cluster needs, such as the
    PrometheusRule objects holding each team's SLO burn-rate rules.
  - Every problem in the input is reported at once, each with its variable path, and nothing
    is returned when there is one, so a later render or apply step never sees half an inventory.
  - When C(promtool) is available, every generated rule group passes C(promtool check rules --lint-fatal)
    before it is returned.
  - Without O(render_dest) the module only computes and reports C(changed=false); with it, it renders the objects
    to files the same way M(vigil.observability.render_files) does.
  - It also builds the Alertmanager configuration of the cluster (routes, receivers and inhibitions of every team on it)
    and the Secrets holding the receivers' secret values. The configuration reads those values from the mounted Secret
    (C(*_file) fields); secret values never appear in the configuration, in a result or in a diff, and every secret
    value of the input is masked in the module's output and logs.
author:
  - Vigil platform team (@vigil)
options:
  cluster:
    description: Name of the cluster (the inventory host of C(observability_clusters)).
    type: str
    required: true
  team_vars:
    description:
      - Variables that define teams, by name. Names starting with C(observability_team_) are teams;
        the rest of the name, with C(_) as C(-), is the default team name.
    type: dict
    default: {}
  teams:
    description: Teams given as a list (the C(observability_teams) variable); each needs a C(name).
    type: list
    elements: dict
    default: []
  settings:
    description:
      - Platform settings, as assembled by the roles.
      - C(clusters) (every cluster name), C(platform_namespace), C(scrape_interval) (the Prometheus default),
        C(retention) (for the window lint), C(slo_period) (default C(30d)), C(slo_tiers) (default burn-rate tiers)
        and C(slo_budget_interval) (evaluation interval of the period-long budget rules).
      - For dashboards and alerts C(dashboard_label) and C(dashboard_label_value) (the Grafana sidecar's ConfigMap label,
        default C(grafana_dashboard=1)), C(dashboard_folder_annotation) (default C(grafana_folder)), C(dashboard_placement)
        (C(team) or C(platform) namespace), C(prometheus_datasource_uid), C(tempo_datasource_uid), C(loki_datasource_uid)
        (defaults C(prometheus), C(tempo), C(loki)) and C(runbook_base_url).
      - C(otlp_endpoint), where the Instrumentation objects of teams with C(instrumentation) send OTLP/HTTP
        (default the opentelemetry role's agent in C(platform_namespace)).
    type: dict
    default: {}
  only_teams:
    description: Build only these teams (for onboarding chosen teams); all teams are still validated.
    type: list
    elements: str
  render_dest:
    description:
      - Render mode. Write every object as C(<render_dest>/manifests/<namespace>/<kind>-<name>.yaml) (only when
        its content changes) and remove files of objects no longer generated, instead of returning the objects.
      - Reports C(changed) when a file is written or removed; supports check and diff mode like
        M(vigil.observability.render_files).
    type: path
  prune_absent:
    description:
      - With O(render_dest), glob patterns of scopes whose files are all removed when the scope is not generated,
        such as C(team/*) (teams whose variables were removed, or that left this cluster).
    type: list
    elements: str
    default: ["team/*"]
  offboard:
    description:
      - Teams to offboard now, whether or not their variables still exist. They are left out of everything,
        Alertmanager routing included; no other team is built; with O(render_dest), their files are removed.
      - Use with O(prune_absent=[]) so that other teams' files are kept.
    type: list
    elements: str
    default: []
  lint_only:
    description:
      - Validate everything and print the lint warnings, generating and writing nothing. A role runs this first, so
        that bad input fails and warnings show before any file is written or object applied.
    type: bool
    default: false
  warn_lint:
    description: Print the lint warnings (off when a O(lint_only=true) call before this one already printed them).
    type: bool
    default: true
  promtool:
    description:
      - C(auto) checks the rules with promtool when it is on the PATH, C(require) fails without it,
        C(skip) does not check.
    type: str
    choices: [auto, require, skip]
    default: auto
  alertmanager:
    description:
      - The platform's part of the Alertmanager configuration (the C(observability_alertmanager) variable).
      - C(default_receiver) (default C(platform)) receives alerts without a known team; C(receivers) are its integrations
        (C(pagerduty), C(opsgenie), C(slack), C(msteams), C(msteamsv2), C(email), C(webhook)); C(group_by),
        C(group_wait), C(group_interval) and C(repeat_interval) set the root route (default C(alertname), C(team),
        C(severity), C(30s), C(5m), C(4h)); C(smtp) sets the global C(smarthost), C(from), C(hello), C(auth_username),
        C(auth_password) and C(require_tls); C(secret_name) names the mounted Secret (default C(vigil-alertmanager-receivers)).
      - Each team's receivers and routes come from the C(alerting) key of its variable.
    type: dict
    default: {}
  alertmanager_mode:
    description:
      - C(global) puts every team's routes and receivers in the Alertmanager configuration and every secret in one Secret
        in the platform namespace, mounted into Alertmanager.
      - C(per_namespace) renders one AlertmanagerConfig per team, with its secrets in a Secret of the team's namespace.
    type: str
    choices: [global, per_namespace]
    default: global
  render_secret_values:
    description:
      - With O(render_dest), also write the Secrets with their values as manifests (for a SOPS or sealed-secrets
        pipeline); their contents are left out of the diff. Without it, only their names and keys are written and
        Secret manifests rendered before are removed.
    type: bool
    default: false
  secret_values:
    description:
      - Return the Secrets with their values as C(secrets), for applying them. The task must set C(no_log=true);
        the module refuses to run otherwise.
    type: bool
    default: false
notes:
  - Runs on the controller (the play's hosts use a local connection).
  - Supports check mode and diff mode.
seealso:
  - module: vigil.observability.render_files
"""

EXAMPLES = r"""
- name: Build every object of this cluster
  vigil.observability.cluster_objects:
    cluster: "{{ inventory_hostname }}"
    team_vars: "{{ dict(_names | zip(query('ansible.builtin.vars', *_names))) }}"
    teams: "{{ observability_teams | default([]) }}"
    settings:
      clusters: "{{ groups['observability_clusters'] }}"
      retention: 15d
  vars:
    _names: "{{ query('ansible.builtin.varnames', '^observability_team_.+') }}"
  register: _built

- name: Render mode - write the objects for GitOps, offboarding removed teams
  vigil.observability.cluster_objects:
    cluster: "{{ inventory_hostname }}"
    team_vars: "{{ dict(_names | zip(query('ansible.builtin.vars', *_names))) }}"
    render_dest: "{{ observability_render_dir }}/{{ inventory_hostname }}"
  vars:
    _names: "{{ query('ansible.builtin.varnames', '^observability_team_.+') }}"
"""

RETURN = r"""
objects:
  description: Every object of the cluster, sorted by namespace, kind and name.
  returned: without O(render_dest)
  type: list
  elements: dict
written:
  description: Relative paths written (or that would be, in check mode).
  returned: with O(render_dest)
  type: list
  elements: str
removed:
  description: Relative paths removed because their scope no longer generates them.
  returned: with O(render_dest)
  type: list
  elements: str
object_count:
  description: How many objects were rendered.
  returned: with O(render_dest)
  type: int
alertmanager_config:
  description: The Alertmanager configuration (what render mode writes to C(alertmanager/alertmanager.yaml)).
  returned: without O(render_dest)
  type: dict
secret_refs:
  description: Name, namespace and keys of each Secret of the receivers' values (and where Alertmanager mounts it); never values.
  returned: success
  type: list
  elements: dict
secrets:
  description: The Secret objects with their values, by scope.
  returned: with O(secret_values)
  type: dict
teams:
  description: Names of the teams on this cluster that were built.
  returned: success
  type: list
  elements: str
warnings_lint:
  description: SLO lint findings (tiers that cannot fire, windows too short or longer than retention).
  returned: success
  type: list
  elements: str
promtool_checked:
  description: Whether promtool checked the generated rules.
  returned: success
  type: bool
"""

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import render
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.build import BuildError, build, lint
from ansible_collections.vigil.observability.plugins.module_utils.secret_module import SecretAwareModule, mask_secrets

SECRET_DIFF = "(secret values are not shown)\n"


def hide_secret_diff(entry, secret_files):
    """A diff entry of a Secret manifest (written, or removed: it may hold old values) without its content."""
    path = entry["before_header"]
    if path in secret_files or (path.startswith("manifests/") and "/secret-" in path):
        return dict(entry, before=SECRET_DIFF if entry["before"] else "", after=SECRET_DIFF if entry["after"] else "")
    return entry


def main():
    module = SecretAwareModule(
        argument_spec=dict(
            cluster=dict(type="str", required=True),
            team_vars=dict(type="dict", default={}),
            teams=dict(type="list", elements="dict", default=[]),
            settings=dict(type="dict", default={}),
            only_teams=dict(type="list", elements="str"),
            promtool=dict(type="str", choices=["auto", "require", "skip"], default="auto"),
            render_dest=dict(type="path"),
            prune_absent=dict(type="list", elements="str", default=["team/*"]),
            alertmanager=dict(type="dict", default={}),
            alertmanager_mode=dict(type="str", choices=["global", "per_namespace"], default="global"),
            render_secret_values=dict(type="bool", default=False),
            secret_values=dict(type="bool", default=False),
            offboard=dict(type="list", elements="str", default=[]),
            lint_only=dict(type="bool", default=False),
            warn_lint=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    mask_secrets(module)
    p = module.params
    if p["secret_values"] and not module.no_log:
        module.fail_json(msg="secret_values returns the receivers' secret values: set no_log: true on the task")
    if p["lint_only"]:
        try:
            warnings = lint(p["cluster"], p["team_vars"], p["teams"], p["settings"], p["only_teams"], p["alertmanager"],
                            p["alertmanager_mode"], p["offboard"])
        except BuildError as exc:
            module.fail_json(msg=str(exc), problems=exc.problems)
        for warning in warnings:
            module.warn(warning)
        module.exit_json(changed=False, warnings_lint=warnings)
    with_values = p["secret_values"] or bool(p["render_dest"] and p["render_secret_values"])
    try:
        result = build(p["cluster"], p["team_vars"], p["teams"], p["settings"], p["only_teams"], p["promtool"],
                       alertmanager=p["alertmanager"], alertmanager_mode=p["alertmanager_mode"], secret_values=with_values,
                       offboard=p["offboard"])
    except BuildError as exc:
        module.fail_json(msg=str(exc), problems=exc.problems)
    if p["warn_lint"]:
        for warning in result["warnings_lint"]:
            module.warn(warning)
    scopes = result.pop("scopes")
    files = result.pop("files")
    secrets = result.pop("secrets", {})
    if p["secret_values"]:
        result["secrets"] = secrets
    if not p["render_dest"]:
        module.exit_json(changed=False, **result)
    # Render mode writes here rather than returning every object: thousands of objects would
    # otherwise cross the module boundary twice (result, then render arguments).
    if render.yaml is None:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    objects = result.pop("objects")
    result.pop("alertmanager_config")  # written to alertmanager/alertmanager.yaml
    try:
        scoped = {scope: render.object_files(objs) for scope, objs in scopes.items()}
        for scope, extra in files.items():
            scoped.setdefault(scope, {}).update(extra)
        secret_files = set()
        if p["render_secret_values"]:
            for scope, objs in secrets.items():
                scoped[scope] = render.object_files(objs)
                secret_files.update(scoped[scope])
        # Secret manifests have scopes of their own (secrets/<scope>): pruned like their scope, or all when not asked for.
        prune = list(p["prune_absent"])
        prune += ["secrets/" + pattern for pattern in p["prune_absent"]] if p["render_secret_values"] else ["secrets/*"]
        written = render.apply_plan(p["render_dest"], scoped, prune, check_mode=module.check_mode)
    except (render.RenderError, OSError) as exc:
        module.fail_json(msg="rendering to %s failed: %s" % (p["render_dest"], exc))
    diff = [hide_secret_diff(d, secret_files) for d in written.pop("diff")]
    result.update(written)
    result["object_count"] = len(objects)
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
