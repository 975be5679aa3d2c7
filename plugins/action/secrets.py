# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: the receivers' Secrets with their values, for a no_log apply task (docs: plugins/modules/secrets.py)."""

from __future__ import annotations

import fnmatch

from ansible.plugins.action import ActionBase
from ansible_collections.vigil.observability.plugins.plugin_utils import plan_data
from ansible_collections.vigil.observability.plugins.plugin_utils.inventory_vars import plain
from ansible_collections.vigil.observability.plugins.plugin_utils.secret_values import SecretLookupError, secret_objects


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _valid, args = self.validate_argument_spec(argument_spec=plan_data.ARGUMENT_SPEC)
        if not self._task.no_log:
            result.update(failed=True, msg="this task returns the receivers' secret values: set no_log: true on it")
            return result
        plan = plan_data.registered(args["plan"], task_vars)
        if plan is None:
            result.update(failed=True, msg=plan_data.NO_PLAN)
            return result
        scopes = sorted(s for s in plan["scopes"] if any(fnmatch.fnmatchcase(s, p) for p in args["scopes"]))
        try:
            found = secret_objects(plain(plan["secret_refs"]), task_vars or {}, self._templar, scopes=set(scopes))
        except SecretLookupError as exc:
            result.update(failed=True, msg="a receiver's secret value moved since the plan was built: %s" % exc)
            return result
        objects = [obj for scope in sorted(found) for obj in found[scope]]
        # The namespaces they go to, for a run that must create them first (playbooks/secrets.yml, GitOps).
        names = sorted({obj["metadata"]["namespace"] for obj in objects})
        namespaces = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}} for name in names]
        result.update(changed=False, objects=objects, namespaces=namespaces)
        return result
