"""What the cases package announces; custody listens (cases never calls custody)."""

from ..core.events import Event

# Footage joined a case stage, after the request's commit: a legal hold on the case now covers it
# (details: session, store, who, media_ids).
media_bound = Event("cases.media_bound")
