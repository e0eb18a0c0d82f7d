"""Every table, imported in one place for Alembic."""

from .agencies.models import AgencyProfile, AgencyProfileVersion
from .auth.models import ApiToken, User, WebSession
from .audit.models import AuditEvent, AuditHead
from .custody.models import FixityCheck, LegalHold, Tombstone
from .cases.models import Case, CaseStage, Document, DocumentVersion, InterruptionExplanation, LimitAdjustment, MediaBinding
from .db import Base
from .ingest.models import Upload, UploadPart
from .jobs.models import EmbeddedJob
from .lists.models import PublishedListVersion
from .throttle import ThrottleRow
from .stats.models import CaseFigures, CaseFindingCount, FixityDay, FootageDay, FootageDayOf, StatsWatermark
from .workdays.models import CalendarYearVersion, LocalCalendarDay
from .officers.models import Officer, OfficerStatusChange
from .media.models import Media, MediaSighting, PlaybackCopy, PlaybackGrant
from .publication.models import Publication, PublicationVersion
from .webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = ["AgencyProfile", "AgencyProfileVersion", "ApiToken", "CalendarYearVersion", "LocalCalendarDay", "Officer", "OfficerStatusChange", "AuditEvent", "AuditHead", "Case", "FixityCheck", "LegalHold", "Tombstone", "CaseStage", "Document", "DocumentVersion", "InterruptionExplanation", "LimitAdjustment", "MediaBinding", "Publication", "PublicationVersion", "PublishedListVersion", "CaseFigures", "CaseFindingCount", "FixityDay", "FootageDay", "FootageDayOf", "StatsWatermark", "ThrottleRow", "WebhookDelivery", "WebhookEndpoint", "Base", "EmbeddedJob", "Media", "MediaSighting", "PlaybackCopy", "PlaybackGrant", "Upload", "UploadPart", "User", "WebSession"]
