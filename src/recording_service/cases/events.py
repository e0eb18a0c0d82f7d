"""What the cases package announces; custody and publication listen (cases never calls either)."""

from ..core.events import Event

# Footage joined a case stage, after the request's commit: a legal hold on the case now covers it
# (details: session, store, who, media_ids).
media_bound = Event("cases.media_bound")

# The case system set, corrected or cleared the day the case's decision was revoked (facts.decision_revoked_on), inside
# the request's transaction: publication makes the withdrawal of the case's public items due, or no longer due
# (details: session, catalog, principal, case, revoked_on and before — each a date or None —, tz).
decision_revoked = Event("cases.decision_revoked")
