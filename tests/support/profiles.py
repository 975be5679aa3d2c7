# -*- coding: utf-8 -*-
"""The inventory variables of each platform profile, for tests that build the platform in both."""

from __future__ import annotations

# Variables of each profile; production needs object storage for Loki and Tempo.
PROFILES = {
    "small": {},
    "production": {
        "observability_profile": "production",
        "loki_object_storage": {"type": "s3", "region": "eu-west-1", "buckets": {"chunks": "c-chunks"}, "credentials_secret": "loki-s3"},
        "tempo_s3": {"bucket": "t-traces", "region": "eu-west-1", "credentials_secret": "tempo-s3"},
    },
}
