"""Uploads: the tus 1.0 router and the single-request multipart upload, the upload lifecycle (leases and
fencing, the resumable SHA-256, completion), metadata, checksums and streamed request bodies. A completed
upload becomes a media record through `media.service`; what follows it is custody's, handed in by the app.

May import: `core`, `storage`, `audit.service`, `media` (models, schemas, service).
"""
