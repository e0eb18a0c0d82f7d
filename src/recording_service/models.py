"""Every table, imported in one place for Alembic."""

from .agencies.models import AgencyProfile, AgencyProfileVersion
from .audit.models import AuditEvent, AuditHead
from .auth.models import ApiToken, User, WebSession
from .cases.models import Case, CaseStage, Document, DocumentScan, DocumentVersion, InterruptionExplanation, LimitAdjustment, MediaBinding
from .complaints.models import Complaint
from .core.db import Base
from .core.throttle import ThrottleRow
from .custody.models import FixityCheck, LegalHold, Tombstone
from .devices.models import Device, DeviceCheckout, DeviceEvent
from .ingest.models import Upload, UploadPart
from .inspections.models import (
    InspectionConflict,
    InspectionDraw,
    InspectionPlan,
    InspectionSubject,
    InspectionSubjectVersion,
    InspectionTask,
    InspectionTaskAdjustment,
)
from .jobs.models import EmbeddedJob
from .lists.models import PublishedListVersion
from .live.models import LiveFragment, LiveIndex, LiveView  # issue 29
from .media.models import ImageCopy, Media, MediaSighting, PlaybackCopy, PlaybackGrant
from .officers.models import Officer, OfficerStatusChange
from .publication.models import Publication, PublicationVersion
from .review.models import ManualReview, ManualReviewVersion
from .shares.models import Share, ShareAccess, SharedFile
from .stats.models import (
    CaseFigures,
    CaseFindingCount,
    ComplaintDay,
    FixityDay,
    FootageDay,
    FootageDayOf,
    MediaFiling,  # issue 27: 关联率
    StatsWatermark,
)
from .webhooks.models import WebhookDelivery, WebhookEndpoint
from .window_staff.models import WindowStaff, WindowStaffVersion
from .workdays.models import CalendarYearVersion, LocalCalendarDay

__all__ = [
    "LiveFragment",
    "LiveIndex",
    "LiveView",
    "Device",
    "DeviceCheckout",
    "DeviceEvent",
    "AgencyProfile",
    "AgencyProfileVersion",
    "ApiToken",
    "CalendarYearVersion",
    "LocalCalendarDay",
    "Officer",
    "OfficerStatusChange",
    "AuditEvent",
    "AuditHead",
    "Case",
    "DocumentScan",
    "FixityCheck",
    "LegalHold",
    "Tombstone",
    "CaseStage",
    "Complaint",
    "Document",
    "DocumentVersion",
    "InterruptionExplanation",
    "LimitAdjustment",
    "ManualReview",
    "ManualReviewVersion",
    "MediaBinding",
    "Publication",
    "PublicationVersion",
    "PublishedListVersion",
    "CaseFigures",
    "CaseFindingCount",
    "ComplaintDay",
    "FixityDay",
    "FootageDay",
    "FootageDayOf",
    "StatsWatermark",
    "ThrottleRow",
    "WebhookDelivery",
    "WebhookEndpoint",
    "Base",
    "InspectionConflict",
    "InspectionDraw",
    "InspectionPlan",
    "InspectionSubject",
    "InspectionSubjectVersion",
    "InspectionTask",
    "InspectionTaskAdjustment",
    "EmbeddedJob",
    "Media",
    "MediaSighting",
    "ImageCopy",
    "PlaybackCopy",
    "PlaybackGrant",
    "Upload",
    "UploadPart",
    "User",
    "WebSession",
    "WindowStaff",
    "WindowStaffVersion",
    "MediaFiling",  # issue 27: 关联率
    "Share",
    "ShareAccess",
    "SharedFile",
]
