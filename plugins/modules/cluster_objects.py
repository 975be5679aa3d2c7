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
  - The module only computes; it changes nothing, so it always reports C(changed=false) and
    behaves the same in check mode.
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
    type: dict
    default: {}
  only_teams:
    description: Build only these teams (for onboarding chosen teams); all teams are still validated.
    type: list
    elements: str
  promtool:
    description:
      - C(auto) checks the rules with promtool when it is on the PATH, C(require) fails without it,
        C(skip) does not check.
    type: str
    choices: [auto, require, skip]
    default: auto
notes:
  - Runs on the controller (the play's hosts use a local connection).
  - Supports check mode; it never changes anything.
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
"""

RETURN = r"""
objects:
  description: Every object of the cluster, sorted by namespace, kind and name.
  returned: success
  type: list
  elements: dict
scopes:
  description: The objects grouped by ownership scope (C(team/<name>)), the unit of pruning.
  returned: success
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

from ansible.module_utils.basic import AnsibleModule
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
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
