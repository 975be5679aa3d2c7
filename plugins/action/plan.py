# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: build and validate the whole plan of one cluster on the controller (docs: plugins/modules/plan.py)."""

from __future__ import annotations

import json
import os

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible_collections.vigil.observability.plugins.module_utils.core import kubeconfig
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import render_problems
from ansible_collections.vigil.observability.plugins.module_utils.pipeline.plan import PlanError, build_plan
from ansible_collections.vigil.observability.plugins.plugin_utils import inventory_vars, plan_data, spec_files
from ansible_collections.vigil.observability.plugins.plugin_utils.runtime import gc_paused

display = Display()
CLUSTER_GROUP = "observability_clusters"


def tool_cache():
    """Where promtool's passes are remembered ($XDG_CACHE_HOME/vigil-observability/promtool); None to disable."""
    if os.environ.get("VIGIL_TOOL_CACHE") == "off":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "vigil-observability", "promtool")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("detected",))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        _valid, args = self.validate_argument_spec(argument_spec={"detected": {"type": "dict", "default": {}}})
        cluster = task_vars.get("inventory_hostname")
        clusters = inventory_vars.groups_of(task_vars, CLUSTER_GROUP)
        variables, problems, raw = inventory_vars.resolve(task_vars, self._templar, self._loader)
        defaults = inventory_vars.resolve_defaults(task_vars, self._templar, self._loader)
        # Spec paths are relative to the inventory, the playbook, or the directory ansible-playbook runs in (the project's
        # root, as AWX runs it): the layout docs/slo.md gives keeps them out of what Ansible reads as inventory.
        roots = [task_vars.get("inventory_dir"), task_vars.get("playbook_dir"), os.getcwd()]
        variables = spec_files.read_spec_files(variables, roots, self._loader)
        # Until the input is known to be valid, anything under a receiver may be a secret, whatever its key.
        broad = inventory_vars.Masker(inventory_vars.broad_secrets(raw, variables))
        if cluster not in clusters:
            problems.append(("inventory_hostname", "%s is not a host of the group %s: clusters are its hosts" % (cluster, CLUSTER_GROUP)))
        if problems:
            return self._failed(result, problems, broad)
        connection, connection_problems = self._cluster_connection(variables, len(clusters))
        try:
            with gc_paused():
                plan, secrets = build_plan(variables, defaults, cluster, clusters, detected=args.get("detected") or {},
                                           tool_cache=tool_cache(), connection_problems=connection_problems)
        except PlanError as exc:
            return self._failed(result, list(problems) + exc.pairs, broad)
        except Exception as exc:  # pylint: disable=broad-except
            # A bug must not print a traceback that quotes inventory values.
            result.update(failed=True, msg=broad.text("building the plan failed unexpectedly (%s): %s" % (type(exc).__name__, exc)))
            return result
        narrow = inventory_vars.Masker(secrets)
        count = sum(len(s["objects"]) for s in plan["scopes"].values())
        packed = plan_data.pack(plan["scopes"])
        rest = json.dumps({k: v for k, v in plan.items() if k != "scopes"})
        if any(secret in text for secret in narrow.secrets for text in [rest] + list(packed["scopes"].values())):
            # A secret pasted into a field that is not one (a description, a label) is masked in the plan too.
            plan = narrow.deep(plan)
            packed = plan_data.pack(plan["scopes"])
        plan.update(packed)
        result.update(plan)
        result["connection"] = dict(connection, summary=kubeconfig.describe(connection, connection_problems))
        result["changed"] = False
        result["msg"] = "plan of %s: %d releases, %d scopes, %d objects, %d warnings" % (
            cluster, len(plan["releases"]), len(plan["scopes"]), count, len(plan["warnings"]))
        # Ansible prints a result's `warnings`; the plan's lint warnings are shown that way, once.
        result["warnings"] = list(plan["warnings"])
        return result

    def _cluster_connection(self, variables, clusters):
        """The cluster this host reaches, resolved as kubernetes.core will (core/kubeconfig.py), on the controller."""
        params = {"kubeconfig": variables.get("observability_kubeconfig"), "context": variables.get("observability_kube_context")}
        home = os.path.expanduser("~")
        inputs = kubeconfig.auth_inputs(params, os.environ)
        files, _source = kubeconfig.kubeconfig_files(inputs, os.environ, home)
        documents = {path: self._kubeconfig(path) for path in files}
        return kubeconfig.resolve(params, os.environ, documents, home, clusters=clusters)

    def _kubeconfig(self, path):
        """A kubeconfig parsed (vault-encrypted too), None when missing; errors name the line, never its text (it may hold a token)."""
        if not os.path.isfile(path):
            return None
        try:
            return self._loader.load_from_file(path)
        except Exception as exc:  # pylint: disable=broad-except
            mark = getattr(getattr(exc, "orig_exc", None), "problem_mark", None) or getattr(exc, "problem_mark", None)
            return "not valid YAML%s" % (" (line %d)" % (mark.line + 1) if mark is not None else "")

    def _failed(self, result, pairs, masker):
        lines = ["%s: %s" % (path, masker.text(message)) for path, message in pairs]
        result.update(failed=True, msg=render_problems(lines), problems=[{"path": p, "message": masker.text(m)} for p, m in pairs])
        return result
