"""The case timeline, assembled once for the API, the pages, the case file and the statistics: stages,
documents, footage and interruptions in order, the completeness findings, statutory time limits (`limits`)
and the review checks (`review`).

May import: `core`, `audit.service`, `catalog`, `cases` (models, service, record, schemas, segments,
adjustments), `media` (models, service), `officers.service`, `workdays` (service, counting).
"""
