# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The options of every action that reads a registered plan (render, secrets).
    DOCUMENTATION = r"""
options:
  plan:
    description: The registered result of M(vigil.observability.plan); by default the variable C(observability_plan) that role
      vigil.observability.observability registers.
    type: dict
  scopes:
    description: Glob patterns of scope names, such as C(team/*), C(platform) or C(release/loki).
    type: list
    elements: str
    required: true
author:
  - Vigil platform team (@vigil)
"""
