"""Item pipelines: normalize → validate → store, one concern each."""
