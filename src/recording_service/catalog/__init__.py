"""The catalog as data (`catalog/data/*.yaml`): procedures and their stages, document types, retention
classes, interruption reasons, time limits, the review sheet, publication rules, statistics rules, the
published lists and the packaged calendar; validated when the service starts (a bad catalog stops it), and
replaceable per agency through RECORDING_CATALOG_DIR.

May import: `core`. Never another domain: the domains read the catalog, not the other way round.
"""
