"""Point-in-time features and labels for lead scoring (no Dagster here)."""

from .pit import (ENGAGEMENT_GROUPS, KEY_FEATURES, WINDOWS_DAYS, FeatureInputs, conversion_labels,
                  person_features, snapshots)

__all__ = ["FeatureInputs", "person_features", "conversion_labels", "snapshots", "ENGAGEMENT_GROUPS",
           "WINDOWS_DAYS", "KEY_FEATURES"]
