# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Adapter shared by the modules that receive team inventory (not part of the pure core).

Team inventory carries receivers' secret values; every module that takes it masks them in all it
returns and logs, unless a no_log task explicitly asks for them back (secret_values).
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.vigil.observability.plugins.module_utils.inventory.alerting import secret_strings


def mask_secrets(module):
    """Mask the receivers' secret values in everything the module returns or logs.

    Not when a no_log task asks for them: masking would replace the values it must return.
    """
    p = module.params
    if not (p.get("secret_values") and module.no_log):
        module.no_log_values.update(secret_strings(p.get("team_vars"), p.get("teams"), p.get("alertmanager")))


class SecretAwareModule(AnsibleModule):
    """Masks secret values before AnsibleModule logs its invocation to the system log."""

    def _log_invocation(self):
        mask_secrets(self)
        super()._log_invocation()
