#!/usr/bin/env python
# -*- coding: utf-8 -*-
"""Assemble the peers' own SLO spec examples for `make test-specs`, outside the repository, from git mirrors of their
repositories (fetched snapshots, or clones): Sloth's examples/ and Pyrra's examples/ at their release tags.

Usage: python tests/specs/spec_sources.py <mirrors dir> <dest dir>

<mirrors dir> holds one git directory per repository, named as the search tool's fetch names them
(slok+sloth/repo, pyrra-dev+pyrra/repo). Nothing is written into the repository.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

# name: (repository, tag, path in the repository)
SOURCES = {
    "sloth": ("slok+sloth", "v0.16.0", "examples"),
    "pyrra": ("pyrra-dev+pyrra", "v0.10.1", "examples"),
}


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    mirrors, dest = Path(argv[1]), Path(argv[2])
    for name, (repository, tag, path) in SOURCES.items():
        git_dir = mirrors / repository / "repo"
        if not git_dir.exists():
            git_dir = mirrors / repository
        archive = subprocess.run(["git", "--git-dir", str(git_dir), "archive", "--format=tar", tag, path],
                                 capture_output=True, check=True).stdout
        target = dest / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(target)  # the peers' example specs, read by the gate only
        (target / "TAG").write_text("%s %s\n" % (repository.replace("+", "/"), tag), encoding="utf-8")
        print("%s: %s at %s -> %s" % (name, repository, tag, target))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
