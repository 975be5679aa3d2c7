#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: secrets
short_description: The receivers' Secrets of chosen scopes of a plan, with their values
version_added: 0.1.0
description:
  - Reads each value of the receivers' Secrets from the inventory at the path the plan recorded (one lookup per value;
    nothing is parsed or generated again) and returns the Secret objects, for the task that applies them.
  - The task must set C(no_log=true); the action refuses to run otherwise.
extends_documentation_fragment:
  - vigil.observability.plan
attributes:
  check_mode:
    support: full
    description: It only reads the inventory.
  diff_mode:
    support: none
    description: It changes nothing.
notes:
  - An action plugin; it runs on the controller and changes nothing.
seealso:
  - module: vigil.observability.plan
"""

EXAMPLES = r"""
- name: The platform's receivers Secret
  vigil.observability.secrets:
    scopes: [platform]
  register: _secrets
  no_log: true
"""

RETURN = r"""
objects:
  description: The Secret objects with their values.
  returned: success
  type: list
  elements: dict
namespaces:
  description: A Namespace object (its name only) for each namespace of those Secrets.
  returned: success
  type: list
  elements: dict
"""
