#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: platform_release
short_description: Build a platform component's pinned Helm release - values, objects and files
version_added: 0.1.0
description:
  - Validates a component's settings and chart coordinates and returns the complete Helm values (a private base
    for the chosen profile merged recursively with the user's overrides), with the objects and files that go with them.
  - The chart version must be pinned; C(latest) and ranges are refused.
  - The module only computes; it changes nothing, so it reports C(changed=false) and behaves the same in check mode.
author:
  - Vigil contributors (@vigil)
options:
  component:
    description: The platform component.
    type: str
    required: true
    choices: [alloy, kube_prometheus_stack, loki, opentelemetry, tempo]
  cluster:
    description: Name of the cluster (the inventory host); becomes the C(cluster) external label.
    type: str
    required: true
  chart:
    description: Chart coordinates - C(release), C(namespace), C(chart), C(repository), C(version).
    type: dict
    required: true
  settings:
    description: The component's settings, as assembled by its role from the role variables.
    type: dict
    default: {}
  team_vars:
    description:
      - With C(kube_prometheus_stack), the team variables by name (as for M(vigil.observability.cluster_objects)),
        from which the Alertmanager configuration in the values is built, exactly as the teams role renders it.
      - Receivers' secret values found here are masked in the module's output.
    type: dict
  teams:
    description: With C(kube_prometheus_stack), teams given as a list (C(observability_teams)).
    type: list
    elements: dict
    default: []
  team_settings:
    description: With C(kube_prometheus_stack), the teams role's settings (clusters, platform namespace and so on).
    type: dict
    default: {}
  alertmanager:
    description: With C(kube_prometheus_stack), the platform's Alertmanager settings (C(observability_alertmanager)).
    type: dict
    default: {}
  alertmanager_mode:
    description:
      - C(global) puts every team's routes in the configuration; C(per_namespace) leaves them to AlertmanagerConfig
        objects, which the values then select.
    type: str
    choices: [global, per_namespace]
    default: global
  offboard:
    description: Teams being offboarded in this run; they are left out of the Alertmanager routing.
    type: list
    elements: str
    default: []
notes:
  - Runs on the controller. Supports check mode; it never changes anything.
seealso:
  - module: vigil.observability.render_files
  - module: vigil.observability.cluster_objects
"""

EXAMPLES = r"""
- name: Build the kube-prometheus-stack release
  vigil.observability.platform_release:
    component: kube_prometheus_stack
    cluster: "{{ inventory_hostname }}"
    chart:
      release: kube-prometheus-stack
      namespace: monitoring
      chart: kube-prometheus-stack
      repository: https://prometheus-community.github.io/helm-charts
      version: 88.5.3
    settings:
      profile: production
      grafana_admin_secret: grafana-admin
  register: _kps
"""

RETURN = r"""
release:
  description: The release - C(release), C(namespace), C(chart), C(repository), C(version) and C(values).
  returned: success
  type: dict
scope:
  description: The render scope of the release (C(release/<name>)).
  returned: success
  type: str
files:
  description: Files to render by scope (the values file C(helm/<release>.values.yaml) and any others).
  returned: success
  type: dict
releases:
  description: The release record by scope, for C(helm/releases.yaml).
  returned: success
  type: dict
objects:
  description: Kubernetes objects that go with the release.
  returned: success
  type: list
  elements: dict
"""

from ansible_collections.vigil.observability.plugins.module_utils.pipeline.build import BuildError
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.releases import COMPONENTS, build_release
from ansible_collections.vigil.observability.plugins.module_utils.secret_module import SecretAwareModule, mask_secrets


def main():
    module = SecretAwareModule(
        argument_spec=dict(
            component=dict(type="str", required=True, choices=list(COMPONENTS)),
            cluster=dict(type="str", required=True),
            chart=dict(type="dict", required=True),
            settings=dict(type="dict", default={}),
            team_vars=dict(type="dict"),
            teams=dict(type="list", elements="dict", default=[]),
            team_settings=dict(type="dict", default={}),
            alertmanager=dict(type="dict", default={}),
            alertmanager_mode=dict(type="str", choices=["global", "per_namespace"], default="global"),
            offboard=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    mask_secrets(module)
    p = module.params
    team_inputs = None
    if p["team_vars"] is not None:
        team_inputs = {"team_vars": p["team_vars"], "teams": p["teams"], "settings": p["team_settings"],
                       "alertmanager": p["alertmanager"], "alertmanager_mode": p["alertmanager_mode"], "offboard": p["offboard"]}
    try:
        result = build_release(p["component"], p["cluster"], p["chart"], p["settings"], team_inputs)
    except BuildError as exc:
        module.fail_json(msg=str(exc), problems=exc.problems)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
