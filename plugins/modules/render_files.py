#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: render_files
short_description: Write generated objects and files to a directory for GitOps, and prune stale ones
version_added: 0.1.0
description:
  - Writes every object as its own YAML file,
    C(<dest>/manifests/<namespace>/<kind in lower case>-<name>.yaml) (cluster-scoped objects under C(_cluster)),
    and any extra files (such as Helm values) at their relative paths.
  - Files are written only when their content changes, so a second run reports no change and leaves
    modification times alone.
  - Each object or file belongs to a scope (such as C(team/payments)). A file that its scope rendered
    before and no longer generates is removed; so are all files of an absent scope that matches
    O(prune_absent). Files the module did not write are never removed. The record of what each scope wrote
    is C(<dest>/.vigil-index.json).
author:
  - Vigil platform team (@vigil)
options:
  dest:
    description: Directory of one cluster's rendered output; created when missing.
    type: path
    required: true
  scopes:
    description: Kubernetes objects to write, grouped by scope.
    type: dict
    default: {}
  files:
    description: Other files to write, by scope, as a mapping of relative path to text content.
    type: dict
    default: {}
  releases:
    description:
      - Helm releases by scope, each with C(release), C(namespace), C(chart), C(repository) and C(version).
      - Every release recorded by any scope is listed in C(<dest>/helm/releases.yaml), so a run limited to one
        component keeps the others' entries; a scope given here with an empty list drops its releases.
    type: dict
    default: {}
  prune_absent:
    description:
      - Glob patterns of scopes whose files are all removed when the scope is absent from O(scopes)
        and O(files), for example C(team/*) to offboard teams whose variables were removed.
    type: list
    elements: str
    default: []
notes:
  - Supports check mode (reports what would change) and diff mode (the changed files' contents).
seealso:
  - module: vigil.observability.cluster_objects
"""

EXAMPLES = r"""
- name: Render this cluster's objects for GitOps
  vigil.observability.render_files:
    dest: "{{ observability_render_dir }}/{{ inventory_hostname }}"
    scopes: "{{ _built.scopes }}"
    prune_absent: ["team/*"]
"""

RETURN = r"""
written:
  description: Relative paths written (or that would be, in check mode).
  returned: always
  type: list
  elements: str
removed:
  description: Relative paths removed because their scope no longer generates them.
  returned: always
  type: list
  elements: str
files:
  description: Every relative path the given scopes generate.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import render


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            scopes=dict(type="dict", default={}),
            files=dict(type="dict", default={}),
            releases=dict(type="dict", default={}),
            prune_absent=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    if render.yaml is None:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    p = module.params
    try:
        scoped = {}
        for scope, objects in p["scopes"].items():
            scoped[scope] = render.object_files(objects or [])
        for scope, files in p["files"].items():
            target = scoped.setdefault(scope, {})
            for rel, content in (files or {}).items():
                if rel in target:
                    raise render.RenderError("%s is given twice in scope %s" % (rel, scope))
                target[rel] = content
        result = render.apply_plan(p["dest"], scoped, p["prune_absent"], check_mode=module.check_mode, releases=p["releases"])
    except (render.RenderError, OSError) as exc:
        module.fail_json(msg="rendering to %s failed: %s" % (p["dest"], exc))
    diff = result.pop("diff")
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
