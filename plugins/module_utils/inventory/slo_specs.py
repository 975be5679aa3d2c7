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
from ansible_collections.vigil.observability.plugins.module_utils.inventory.specs.sloth import sloth_slos
from ansible_collections.vigil.observability.plugins.module_utils.inventory.types import SLO, Settings

FILE_KEY, DOCUMENTS_KEY, ERROR_KEY = "__file__", "__documents__", "__error__"


def convert(items: List[Tuple[str, Any]], problems: Problems, settings: Settings) -> List[Tuple[str, SLO]]:
    """(service name, SLO) of every SLO of a team's slo_specs items; the SLO's path is its place in its spec."""
    out: List[Tuple[str, SLO]] = []
    for entry_path, entry in items:
        file_name, documents = _documents(entry_path, entry, problems)
        docs = [SpecDocument(entry_path, file_name, i, len(documents), problems) for i in range(len(documents))]
        openslo = [(d, doc) for d, doc in zip(docs, documents) if isinstance(doc, dict) and str(doc.get("apiVersion", "")).startswith("openslo/")]
        for where, doc in zip(docs, documents):
            if not isinstance(doc, dict):
                where.fail("must be a Sloth (version: prometheus/v1) or OpenSLO (apiVersion: openslo/v1) document, got %s" % describe(doc))
            elif "version" in doc and "apiVersion" not in doc:
                out.extend(sloth_slos(doc, where, settings))
            elif "apiVersion" in doc:
                if doc.get("apiVersion") != OPENSLO_VERSION:
                    where.fail("%s is not supported: OpenSLO documents must be apiVersion openslo/v1 (Sloth's own converter reads only "
                               "openslo/v1alpha)" % describe(doc.get("apiVersion")), "apiVersion")
                elif doc.get("kind") == "SLO":
                    out.extend(openslo_slos(doc, where, openslo, settings))
                elif doc.get("kind") not in ("Service", "SLI", "DataSource", "AlertPolicy", "AlertCondition", "AlertNotificationTarget"):
                    where.fail("is not an OpenSLO kind the collection reads (Service, SLO, SLI, DataSource), got %s" % describe(doc.get("kind")),
                               "kind")
            else:
                where.fail("names neither a Sloth version (version: prometheus/v1) nor an OpenSLO apiVersion")
    return out


def _documents(entry_path: str, entry: Any, problems: Problems) -> Tuple[Optional[str], List[Any]]:
    if isinstance(entry, dict) and FILE_KEY in entry:
        if entry.get(ERROR_KEY):
            problems.add(entry_path, "%s: %s" % (entry[FILE_KEY], entry[ERROR_KEY]))
            return entry[FILE_KEY], []
        return entry[FILE_KEY], [d for d in entry.get(DOCUMENTS_KEY) or [] if d is not None]
    if isinstance(entry, dict):
        return None, [entry]
    if isinstance(entry, str):
        problems.add(entry_path, "%s: spec files are read by the plan action, relative to the inventory directory" % describe(entry))
        return None, []
    problems.add(entry_path, "must be a spec file (a path relative to the inventory directory) or an inline document, got %s" % describe(entry))
    return None, []
