"""The case file: a BagIt bag (RFC 8493) of a case, its timeline, documents, footage and audit excerpt,
signed with the service's Ed25519 key (`signing`) and streamed as a zip; and its offline verifier
(`recording-service verify-export`).

May import: `core`, `storage`, `audit`, `catalog`, `cases` (models, service, record), `media` (models,
service, delivery), `timeline.service`, `review` (the review sheet and its sign-off), `agencies.service`.
"""
