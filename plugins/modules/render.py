#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: render
short_description: Write chosen scopes of a cluster's plan to files, idempotently
version_added: 0.1.0
description:
  - Writes each object of the chosen scopes as C(manifests/<namespace>/<kind>-<name>.yaml), each release's values as
    C(helm/<release>.values.yaml), C(helm/releases.yaml) and the scopes' other files, rewriting a file only when its content
    changes, and removes files its scopes no longer generate. C(.vigil-index.json) records which scope wrote which file;
    files it did not write are never touched.
  - With C(observability_render_secret_values), also writes the receivers' Secrets with their values (read from the
    inventory at the paths the plan recorded), for a SOPS or sealed-secrets pipeline; their contents never show in a diff.
extends_documentation_fragment:
  - vigil.observability.plan
options:
  prune:
    description: Glob patterns of scopes whose files are removed when the plan no longer has them (teams that are gone).
    type: list
    elements: str
    default: []
  dest:
    description: The cluster's render directory (default the plan's C(render_dir)).
    type: path
attributes:
  check_mode:
    support: full
    description: Reports what it would write and remove, and writes nothing.
  diff_mode:
    support: full
    description: Shows each file's change; the contents of Secret manifests are never shown.
notes:
  - An action plugin; it runs on the controller.
seealso:
  - module: vigil.observability.plan
"""

EXAMPLES = r"""
- name: Write the teams' files and remove those of teams that are gone
  vigil.observability.render:
    scopes: [team/*, platform]
    prune: [team/*]
"""

RETURN = r"""
written:
  description: Relative paths written (or that would be, in check mode).
  returned: success
  type: list
  elements: str
removed:
  description: Relative paths removed.
  returned: success
  type: list
  elements: str
dest:
  description: The directory written.
  returned: success
  type: str
"""
