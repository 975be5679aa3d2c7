# -*- coding: utf-8 -*-
"""Make this directory's test helpers (promql_ast) importable under ansible-test units too.

Plain pytest puts the directory of a rootdir-less test module on sys.path; ansible-test's collection loader
imports test modules by package name and does not, so the helpers are found through this path entry.
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)
