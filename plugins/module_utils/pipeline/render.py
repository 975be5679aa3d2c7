# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write rendered files idempotently and prune the ones a scope no longer generates.

Layout under one cluster's directory:
  manifests/<namespace>/<kind>-<name>.yaml   (cluster-scoped objects under manifests/_cluster/)
  .vigil-index.json                           which scope wrote which file

Only files listed in the index are ever removed, so files a user adds by hand
next to rendered ones are never touched.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import fnmatch
import hashlib
import json
import os
import tempfile

from ansible_collections.vigil.observability.plugins.module_utils.core.yaml import YamlError, dump
from ansible_collections.vigil.observability.plugins.module_utils.generators import gitops as generators_gitops

INDEX_FILE = ".vigil-index.json"
CLUSTER_DIR = "_cluster"


class RenderError(Exception):
    pass


def to_yaml(data: Any) -> str:
    try:
        return dump(data)
    except YamlError as exc:
        raise RenderError(str(exc)) from None


def file_text(rel: str, data: Any) -> str:
    """A scope file's content: text as it is for a page (catalog/index.html), YAML for data."""
    if rel.endswith(".html") and isinstance(data, str):
        return data
    return to_yaml(data)


def object_path(obj: Mapping[str, Any]) -> str:
    meta = obj["metadata"]
    namespace = meta.get("namespace") or CLUSTER_DIR
    return "manifests/%s/%s-%s.yaml" % (namespace, obj["kind"].lower(), meta["name"])


def object_files(objects: Iterable[Mapping[str, Any]]) -> Dict[str, str]:
    """Map each object to its file; two objects landing on one path is a bug worth stopping for."""
    files = {}
    for obj in objects:
        path = object_path(obj)
        if path in files:
            raise RenderError("two objects render to %s" % path)
        files[path] = to_yaml(obj)
    return files


def _safe_join(root, rel):
    full = os.path.normpath(os.path.join(root, rel))
    if os.path.isabs(rel) or not full.startswith(os.path.normpath(root) + os.sep):
        raise RenderError("refusing to write outside %s: %s" % (root, rel))
    return full


def _read(path):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _write_atomic(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".vigil-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _remove_empty_dirs(root, rel):
    parent = os.path.dirname(_safe_join(root, rel))
    while parent.startswith(os.path.normpath(root) + os.sep):
        try:
            os.rmdir(parent)
        except OSError:
            return
        parent = os.path.dirname(parent)


def load_state(root: str) -> Dict[str, Any]:
    """The whole index: scopes' files, release records, and the digests of what each scope was written from."""
    text = _read(os.path.join(root, INDEX_FILE))
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        raise RenderError("%s is not valid JSON; remove it to re-render from scratch" % os.path.join(root, INDEX_FILE)) from None


def load_index(root: str) -> Dict[str, List[str]]:
    return {scope: sorted(paths) for scope, paths in load_state(root).get("scopes", {}).items()}


def _sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached_scope(root: str, scope: str, digest: str, state: Mapping[str, Any]) -> Optional[Dict[str, str]]:
    """The scope's files as they are on disk, when the last run wrote them from input with this digest and every
    one is still exactly as written; else None. A second run with nothing changed then serializes nothing."""
    entry = (state.get("digests") or {}).get(scope)
    if not entry or entry.get("input") != digest:
        return None
    files = {}
    for rel, sha in sorted(entry.get("files", {}).items()):
        content = _read(_safe_join(root, rel))
        if content is None or _sha(content) != sha:
            return None
        files[rel] = content
    return files


def plan(root: str, scoped_files: Mapping[str, Mapping[str, str]], prune_absent: Sequence[str] = ()) -> Tuple[dict, list, dict, dict]:
    """Work out what to write and remove, without touching the disk.

    scoped_files: {scope: {relative path: content}}
    prune_absent: glob patterns of scopes (such as 'team/*'); an indexed scope that
                  matches and is not in scoped_files had all its files removed.
    """
    index = load_index(root)
    owner = {}
    for scope, files in scoped_files.items():
        for rel in files:
            if rel in owner:
                raise RenderError("%s is generated by both %s and %s" % (rel, owner[rel], scope))
            owner[rel] = scope
    new_index = dict(index)
    writes, removes = {}, []
    for scope, files in sorted(scoped_files.items()):
        for rel, content in sorted(files.items()):
            full = _safe_join(root, rel)
            before = _read(full)
            if before != content:
                writes[rel] = (before, content)
        for rel in index.get(scope, []):
            if rel not in files and rel not in owner:
                removes.append(rel)
        new_index[scope] = sorted(files)
    for scope in sorted(index):
        if scope not in scoped_files and any(fnmatch.fnmatchcase(scope, pat) for pat in prune_absent):
            removes.extend(rel for rel in index[scope] if rel not in owner)
            del new_index[scope]
    removes = sorted(r for r in set(removes) if os.path.exists(_safe_join(root, r)))
    # Empty scopes are not recorded: they have nothing to prune, and recording them would flip between runs.
    new_index = {scope: paths for scope, paths in new_index.items() if paths}
    return writes, removes, new_index, index


RELEASES_SCOPE = "helm/releases"
RELEASES_FILE = "helm/releases.yaml"
# The per-cluster GitOps files (kustomizations, Flux Kustomizations, Argo CD project): made from the index.
GITOPS_SCOPE = "gitops/cluster"


def load_releases(root: str) -> Dict[str, List[dict]]:
    load_index(root)  # reports a broken index as a RenderError, not a traceback
    text = _read(os.path.join(root, INDEX_FILE))
    return json.loads(text).get("releases", {}) if text else {}


def _merge_releases(old, releases, scoped_files, prune_absent):
    """Release records by scope after this run: given scopes replace theirs, pruned absent scopes drop theirs."""
    merged = {}
    for scope, records in old.items():
        if scope in scoped_files or scope in releases:
            continue
        if any(fnmatch.fnmatchcase(scope, pat) for pat in prune_absent):
            continue
        merged[scope] = records
    merged.update({scope: records for scope, records in releases.items() if records})
    return merged


def _future_paths(index: Mapping[str, List[str]], scoped_files: Mapping[str, Mapping[str, str]], prune_absent: Sequence[str]) -> List[str]:
    """Every file the index will hold after this run, as plan() computes it, the GitOps scope's own left out."""
    scopes = {scope: list(paths) for scope, paths in index.items()
              if scope not in scoped_files and not any(fnmatch.fnmatchcase(scope, pat) for pat in prune_absent)}
    scopes.update({scope: list(files) for scope, files in scoped_files.items()})
    return sorted(p for scope, paths in scopes.items() if scope != GITOPS_SCOPE for p in paths)


def apply_plan(root: str, scoped_files: Mapping[str, Mapping[str, str]], prune_absent: Sequence[str] = (), check_mode: bool = False,
               releases: Optional[Mapping[str, List[dict]]] = None, digests: Optional[Mapping[str, str]] = None,
               gitops: Optional[Mapping[str, Any]] = None, cluster: str = "") -> Dict[str, Any]:
    """Write changed files, remove stale ones, update the index. Returns a result dict.

    releases: {scope: [{release, namespace, chart, repository, version}]}; every release any scope
    recorded is listed in helm/releases.yaml, so a run limited to one component keeps the others.
    digests: {scope: digest of the input its files were made from}, recorded with each file's sha256
    for cached_scope.
    gitops: the plan's GitOps settings; the per-cluster GitOps files are made again from what the index will hold.
    """
    old_state = load_state(root)
    old_digests = old_state.get("digests") or {}
    old_releases = load_releases(root)
    new_releases = _merge_releases(old_releases, releases or {}, scoped_files, prune_absent)
    if new_releases or old_releases:
        scoped_files = dict(scoped_files)
        listing = sorted((r for records in new_releases.values() for r in records), key=lambda r: (r["namespace"], r["release"]))
        scoped_files[RELEASES_SCOPE] = {RELEASES_FILE: to_yaml({"releases": listing})} if listing else {}
    old_index = old_state.get("scopes") or {}
    if (gitops and gitops.get("controller", "none") != "none") or old_index.get(GITOPS_SCOPE):
        scoped_files = dict(scoped_files)
        listing = [r for records in new_releases.values() for r in records]
        made = generators_gitops.cluster_files(gitops or {"controller": "none"}, cluster,
                                               _future_paths(old_index, scoped_files, prune_absent), listing)
        scoped_files[GITOPS_SCOPE] = {rel: to_yaml(data) for rel, data in sorted(made.items())}
    writes, removes, new_index, old_index = plan(root, scoped_files, prune_absent)
    new_digests = {scope: entry for scope, entry in old_digests.items() if scope in new_index and scope not in scoped_files}
    for scope, digest in (digests or {}).items():
        if scope in new_index and scope in scoped_files:
            new_digests[scope] = {"input": digest, "files": {rel: _sha(content) for rel, content in sorted(scoped_files[scope].items())}}
    index_changed = new_index != old_index or new_releases != old_releases or new_digests != old_digests
    diff = [
        {"before_header": rel, "after_header": rel, "before": before or "", "after": after}
        for rel, (before, after) in sorted(writes.items())
    ] + [{"before_header": rel, "after_header": "(removed)", "before": _read(_safe_join(root, rel)) or "", "after": ""} for rel in removes]
    if not check_mode:
        for rel, (_before, content) in sorted(writes.items()):
            _write_atomic(_safe_join(root, rel), content)
        for rel in removes:
            os.unlink(_safe_join(root, rel))
            _remove_empty_dirs(root, rel)
        if index_changed:
            index = {"scopes": new_index}
            if new_releases:
                index["releases"] = new_releases
            if new_digests:
                index["digests"] = new_digests
            _write_atomic(os.path.join(root, INDEX_FILE), json.dumps(index, indent=2, sort_keys=True) + "\n")
    return {
        "changed": bool(writes or removes or index_changed),
        "written": sorted(writes),
        "removed": removes,
        "files": sorted(rel for files in scoped_files.values() for rel in files),
        "diff": diff,
    }
