# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin: write chosen scopes of a built plan to the render directory (docs: plugins/modules/render.py)."""

from __future__ import annotations

import fnmatch

from ansible.plugins.action import ActionBase
from ansible_collections.vigil.observability.plugins.module_utils.pipeline import render
from ansible_collections.vigil.observability.plugins.plugin_utils import plan_data
from ansible_collections.vigil.observability.plugins.plugin_utils.inventory_vars import plain
from ansible_collections.vigil.observability.plugins.plugin_utils.secret_values import SecretLookupError, secret_objects

SECRET_DIFF = "(secret values are not shown)\n"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        spec = dict(plan_data.ARGUMENT_SPEC, prune={"type": "list", "elements": "str", "default": []}, dest={"type": "path"})
        _valid, args = self.validate_argument_spec(argument_spec=spec)
        plan = plan_data.registered(args["plan"], task_vars)
        if plan is None:
            result.update(failed=True, msg=plan_data.NO_PLAN)
            return result
        dest = args["dest"] or str(plan["render_dir"])
        prune = [str(p) for p in args["prune"]]
        try:
            state = render.load_state(dest)
            chosen = [str(name) for name in sorted(plan["scopes"]) if any(fnmatch.fnmatchcase(name, p) for p in args["scopes"])]
            scoped, releases, digests = {}, {}, {}
            for scope in chosen:
                digest = str(plan["digests"][scope])
                part = plan_data.scope(plan, scope)
                cached = render.cached_scope(dest, scope, digest, state)
                if cached is None:
                    cached = render.object_files(part["objects"])
                    cached.update({rel: render.file_text(rel, data) for rel, data in sorted(part["files"].items())})
                scoped[scope] = cached
                digests[scope] = digest
                releases[scope] = part["releases"]
            secret_files = set()
            # Secret manifests have scopes of their own (secrets/<scope>): written only when asked for, and
            # removed when no longer asked for or no longer generated.
            index = state.get("scopes") or {}
            wanted = {}
            if plan["render_secret_values"]:
                refs = [ref for ref in plain(plan["secret_refs"]) if ref["scope"] in chosen]
                wanted = secret_objects(refs, task_vars or {}, self._templar)
            for scope in chosen:
                key = "secrets/" + scope
                if scope in wanted:
                    scoped[key] = render.object_files(wanted[scope])
                    secret_files.update(scoped[key])
                elif index.get(key):
                    scoped[key] = {}
            # A pruned scope's Secret manifests go with it.
            outcome = render.apply_plan(dest, scoped, prune + ["secrets/" + p for p in prune],
                                        check_mode=self._task.check_mode, releases=releases, digests=digests,
                                        gitops=plain(plan.get("gitops") or {}), cluster=str(plan["cluster"]))
        except (render.RenderError, SecretLookupError, OSError, ValueError) as exc:
            result.update(failed=True, msg="rendering to %s failed: %s" % (dest, exc))
            return result
        diff = []
        for entry in outcome.pop("diff"):
            path = entry["before_header"]
            if path in secret_files or (path.startswith("manifests/") and "/secret-" in path):
                entry = dict(entry, before=SECRET_DIFF if entry["before"] else "", after=SECRET_DIFF if entry["after"] else "")
            diff.append(entry)
        outcome.pop("files")
        result.update(outcome)
        result["dest"] = dest
        if self._task.diff:
            result["diff"] = diff
        return result
