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
  promtool:
    description:
      - C(auto) checks the rules with promtool when it is on the PATH, C(require) fails without it,
        C(skip) does not check.
    type: str
    choices: [auto, require, skip]
    default: auto
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

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.vigil.observability.plugins.module_utils import render
from ansible_collections.vigil.observability.plugins.module_utils.build import BuildError, build


def main():
    module = AnsibleModule(
        argument_spec=dict(
            cluster=dict(type="str", required=True),
            team_vars=dict(type="dict", default={}),
            teams=dict(type="list", elements="dict", default=[]),
            settings=dict(type="dict", default={}),
            only_teams=dict(type="list", elements="str"),
            promtool=dict(type="str", choices=["auto", "require", "skip"], default="auto"),
            render_dest=dict(type="path"),
            prune_absent=dict(type="list", elements="str", default=["team/*"]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        result = build(p["cluster"], p["team_vars"], p["teams"], p["settings"], p["only_teams"], p["promtool"])
    except BuildError as exc:
        module.fail_json(msg=str(exc), problems=exc.problems)
    for warning in result["warnings_lint"]:
        module.warn(warning)
    scopes = result.pop("scopes")
    if not p["render_dest"]:
        module.exit_json(changed=False, **result)
    # Render mode writes here rather than returning every object: thousands of objects would
    # otherwise cross the module boundary twice (result, then render arguments).
    if render.yaml is None:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    objects = result.pop("objects")
    try:
        scoped = {scope: render.object_files(objs) for scope, objs in scopes.items()}
        written = render.apply_plan(p["render_dest"], scoped, p["prune_absent"], check_mode=module.check_mode)
    except (render.RenderError, OSError) as exc:
        module.fail_json(msg="rendering to %s failed: %s" % (p["render_dest"], exc))
    diff = written.pop("diff")
    result.update(written)
    result["object_count"] = len(objects)
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
