# -*- coding: utf-8 -*-
"""A commit of this repository, extracted as a collection tree beside the checkout, for side-by-side benchmarks.

`git archive <rev>` into a temp dir as ansible_collections/vigil/observability; the caller points
ANSIBLE_COLLECTIONS_PATH there, so the same ansible-playbook runs the old collection on the same inventory.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def extract(rev, dest):
    """ANSIBLE_COLLECTIONS_PATH root holding `rev` of this repository as vigil.observability."""
    root = Path(dest)
    target = root / "ansible_collections" / "vigil" / "observability"
    target.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", rev], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target)  # our own repository's commit
    return root
