"""Keeping evidence: fixity checks, legal holds, the retention policy and its sweep (the only deletion
path), S3 object locks and legal holds in the store, the upload sweep, and what follows a stored upload (the
hand-off the app gives ingest). Listens for `cases.events.media_bound` to hold bound footage in the store.

May import: `core`, `storage`, `audit.service`, `jobs`, `catalog`, `media` (models, service, jobs, copies),
`ingest` (models, service), `cases` (models, service, events).
"""
