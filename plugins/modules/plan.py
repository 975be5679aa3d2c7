#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: plan
short_description: Build and validate the whole plan of one cluster, before anything is written or applied
version_added: 0.1.0
description:
  - Reads the run's inventory from task vars - every C(observability_*) setting, every chart role's C(<role>_*) variables
    (with the defaults of every role of the collection, whichever roles the playbook runs), the team variables
    C(observability_team_<name>) and C(observability_teams) - and builds the cluster's plan once - every release with its
    values, every object by scope, the Alertmanager configuration, the references of the receivers' Secrets, the Service
    registry every URL comes from, and the lint warnings.
  - Everything is validated in this one step - settings of every role, every team, name and uid collisions across teams
    and releases, the team names of C(observability_only_teams) and C(observability_offboard_teams), and, when the tools are
    on the PATH, C(promtool check rules) on every generated rule and C(amtool check-config) on the Alertmanager configuration.
    A run with any problem fails here with every problem at once, each naming the inventory variable it came from.
  - No team data and no secret value is a task argument, so none can appear in a task's printed arguments. The plan holds no
    secret value; a secret value pasted where none belongs is masked in the result, and while the input is not valid every
    string under a receiver or C(smtp) mapping is masked in the error messages.
  - Role C(vigil.observability.observability) runs this once per cluster and registers the result as C(observability_plan);
    the other roles render or apply their part of it.
author:
  - Vigil platform team (@vigil)
options:
  detected:
    description:
      - What apply mode found in the cluster before planning. C(cert_manager) (bool) - cert-manager's CRDs exist, so the
        operator's webhook certificates come from cert-manager when C(opentelemetry_cert_manager_detect) is true.
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    description: It only computes.
  diff_mode:
    support: none
    description: It changes nothing, so there is nothing to show.
notes:
  - An action plugin; it runs on the controller and changes nothing.
seealso:
  - module: vigil.observability.render
  - module: vigil.observability.secrets
"""

EXAMPLES = r"""
- name: Build and validate the cluster's plan
  vigil.observability.plan:
  register: observability_plan
"""

RETURN = r"""
cluster:
  description: The cluster (inventory host) the plan is for.
  returned: success
  type: str
mode:
  description: C(render) or C(apply) (C(observability_mode)).
  returned: success
  type: str
render_dir:
  description: Where render mode writes this cluster's files.
  returned: success
  type: str
releases:
  description: Each component's pinned release with its values, by component.
  returned: success
  type: dict
scopes:
  description: Objects, extra files and release records by scope (C(team/<name>), C(platform), C(release/<name>)).
  returned: success
  type: dict
teams:
  description: The teams built, the selection (C(only), C(offboard)) and the scopes a render prunes.
  returned: success
  type: dict
alertmanager:
  description: The Alertmanager mode and configuration.
  returned: success
  type: dict
secret_refs:
  description: Name, namespace, keys and the inventory path of each value of the receivers' Secrets; never the values.
  returned: success
  type: list
  elements: dict
endpoints:
  description: The Service registry every in-cluster URL was derived from.
  returned: success
  type: dict
field_manager:
  description: The server-side apply field manager of every apply task.
  returned: success
  type: str
managed_kinds:
  description: The kinds apply mode looks for when it prunes objects of teams that are gone.
  returned: success
  type: list
  elements: dict
problems:
  description: Every problem of the input, as path and message.
  returned: failure
  type: list
  elements: dict
"""
