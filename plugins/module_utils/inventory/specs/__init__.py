# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Importers of SLO spec formats (Sloth, OpenSLO): one module per format, each producing the native model's types."""
