"""Cases (案件) and their record: stages in procedure order, 执法文书 and their versions, footage bound to
stages (or segments of it), explained interruptions, case facts and time-limit adjustments. Binding footage
announces `cases.events.media_bound` (`core.events`), recording the decision revoked in the case's facts
`cases.events.decision_revoked`; cases never calls custody or publication.

May import: `core`, `audit.service`, `catalog` (procedures, document types), `media` (models, service).
"""
