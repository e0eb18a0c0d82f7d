"""The chain of custody: the append-only, hash-chained audit log (`audit_events` and its one-row head), its
verification, the checkpoints of its head in the object store, and the audit API.

Every domain appends through `audit.service`; this package knows none of them.
May import: `core`, `storage` (checkpoints). Never a domain package (checked by tests/unit/test_structure.py).
"""
