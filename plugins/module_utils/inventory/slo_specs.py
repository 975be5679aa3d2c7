# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SLOs from Sloth (prometheus/v1) and OpenSLO (openslo/v1) specs, as SLOs of the collection's own model.

A team's `slo_specs` lists files (read by the plan action, relative to the inventory directory) and inline
documents. Each SLO of a spec becomes an SLO of the native model (inventory.types), read once from the spec's own
fields (every problem at its place in the spec) and checked as a native one is (inventory.slo.build_slo), so that it
behaves exactly as the same SLO written natively.
What the model cannot express exactly is refused, naming the spec file, the document's path and the reason:
a query that is not a sum of rates over one selector, calendar windows, Timeslices budgeting, single-window
OpenSLO alert conditions, SLI plugins, labels the collection sets. The mapping, field by field, is in docs/slo.md.
"""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems
from ansible_collections.vigil.observability.plugins.module_utils.core.reader import describe

from ansible_collections.vigil.observability.plugins.module_utils.inventory.specs.common import SpecDocument
from ansible_collections.vigil.observability.plugins.module_utils.inventory.specs.openslo import OPENSLO_VERSION, openslo_slos
from ansible_collections.vigil.observability.plugins.module_utils.inventory.specs.pyrra import PYRRA, pyrra_slos
from ansible_collections.vigil.observability.plugins.module_utils.inventory.specs.sloth import SLOTH_KUBERNETES, sloth_kubernetes_slos, sloth_slos
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import SLO, Settings

FILE_KEY, DOCUMENTS_KEY, ERROR_KEY = "__file__", "__documents__", "__error__"
FILES_KEY = "__files__"  # a directory entry: each of its spec files, as FILE_KEY entries
READ = "Sloth (version: prometheus/v1, or apiVersion: %s, kind: %s), Pyrra (apiVersion: %s, kind: %s) and OpenSLO (apiVersion: %s)" % (
    SLOTH_KUBERNETES[0], SLOTH_KUBERNETES[1], PYRRA[0], PYRRA[1], OPENSLO_VERSION)
_OPENSLO_KINDS = ("Service", "SLI", "DataSource", "AlertPolicy", "AlertCondition", "AlertNotificationTarget")


def convert(items: List[Tuple[str, Any]], problems: Problems, settings: Settings, team: str = "") -> List[Tuple[str, SLO]]:
    """(service name, SLO) of every SLO of team `team`'s slo_specs items; the SLO's path is its place in its spec."""
    out: List[Tuple[str, SLO]] = []
    for entry_path, entry in items:
        docs: List[Tuple[SpecDocument, Any]] = []
        for file_name, documents in _documents(entry_path, entry, problems):
            docs += [(SpecDocument(entry_path, file_name, i, len(documents), problems), doc) for i, doc in enumerate(documents)]
        # An OpenSLO SLO names its SLI and alert policies among the documents of its entry (a file, or a directory's files).
        openslo = [(where, doc) for where, doc in docs if isinstance(doc, dict) and doc.get("apiVersion") == OPENSLO_VERSION]
        for where, doc in docs:
            out.extend(_document(doc, where, settings, team, openslo))
    return out


def _document(doc: Any, where: SpecDocument, settings: Settings, team: str, openslo: List[Tuple[SpecDocument, Any]]) -> List[Tuple[str, SLO]]:
    if not isinstance(doc, dict):
        where.fail("must be a %s document, got %s" % (READ, describe(doc)))
        return []
    api = doc.get("apiVersion")
    if "version" in doc and api is None:
        return sloth_slos(doc, where, settings, team)
    if api == SLOTH_KUBERNETES[0]:
        return sloth_kubernetes_slos(doc, where, settings, team)
    if api == PYRRA[0]:
        return pyrra_slos(doc, where, settings, team)
    if api == OPENSLO_VERSION:
        if doc.get("kind") == "SLO":
            return openslo_slos(doc, where, openslo, settings, team)
        if doc.get("kind") not in _OPENSLO_KINDS:
            where.fail("is not an OpenSLO kind the collection reads (SLO, and the SLI, AlertPolicy and AlertCondition it names), "
                       "got %s" % describe(doc.get("kind")), "kind")
        return []
    if api is None:
        where.fail("names no version or apiVersion: the collection reads %s" % READ)
    elif isinstance(api, str) and api.startswith("openslo/"):
        where.fail("%s is not read: OpenSLO documents must be apiVersion %s (Sloth's own converter reads only openslo/v1alpha)"
                   % (describe(api), OPENSLO_VERSION), "apiVersion")
    else:
        where.fail("%s is not a spec format the collection reads: %s" % (describe(api), READ), "apiVersion")
    return []


def _documents(entry_path: str, entry: Any, problems: Problems) -> List[Tuple[Optional[str], List[Any]]]:
    """(file name, its documents) of an entry: an inline document, a file, or a directory's files."""
    if isinstance(entry, dict) and FILES_KEY in entry:
        if entry.get(ERROR_KEY):
            problems.add(entry_path, "%s: %s" % (entry[FILE_KEY], entry[ERROR_KEY]))
            return []
        return [group for item in entry[FILES_KEY] for group in _documents(entry_path, item, problems)]
    if isinstance(entry, dict) and FILE_KEY in entry:
        if entry.get(ERROR_KEY):
            problems.add(entry_path, "%s: %s" % (entry[FILE_KEY], entry[ERROR_KEY]))
            return []
        return [(entry[FILE_KEY], [d for d in entry.get(DOCUMENTS_KEY) or [] if d is not None])]
    if isinstance(entry, dict):
        return [(None, [entry])]
    if isinstance(entry, str):
        problems.add(entry_path, "%s: spec files are read by the plan action, relative to the inventory or playbook directory" % describe(entry))
        return []
    problems.add(entry_path, "must be a spec file or directory (a path relative to the inventory or playbook directory) or an inline "
                 "document, got %s" % describe(entry))
    return []
