"""Retention policy as SQL conditions, from the retention classes in the catalog.

Footage is kept while any of these holds:
- its `standard` class has not run out since upload (every piece of footage);
- it is flagged `important` and the `important` class has not run out since upload;
- a case holds it — bound to one of its stages, or attached to (a version of) one of its documents, as a scanned
  执法文书 is — and that case is open, or closed less than its class ago (`case` by default);
- a legal hold covers it (on itself, or on a case it was ever bound to or attached to).
A class with `days: null` never runs out. A case whose class is no longer in the catalog keeps its
footage: a catalog edit must not turn into a deletion.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from ..cases.models import Case, DocumentVersion, MediaBinding
from ..catalog.schemas import Catalog, RetentionClass
from ..media.models import WITHOUT_OBJECT, Media, MediaStatus
from .models import LegalHold

IMPORTANT = "important"


@dataclass(frozen=True)
class RetentionPolicy:
    catalog: Catalog
    now: datetime

    def _within(self, column: SQLColumnExpression[datetime | None], retention: RetentionClass) -> ColumnElement[bool]:
        return true() if retention.days is None else column > self.now - timedelta(days=retention.days)

    def by_standard(self) -> ColumnElement[bool]:
        return self._within(Media.uploaded_at, self.catalog.retention("standard"))

    def by_flag(self) -> ColumnElement[bool]:
        # `flag IS NOT NULL` first: a bare `flag = 'important'` is NULL, not false, for unflagged footage,
        # and NOT (… OR NULL) would keep everything.
        return and_(Media.flag.is_not(None), Media.flag == IMPORTANT, self._within(Media.uploaded_at, self.catalog.retention(IMPORTANT)))

    def by_case(self) -> ColumnElement[bool]:
        classes = self.catalog.retention_classes
        case_keeps = or_(
            Case.closed_at.is_(None),
            Case.retention_class.not_in([c.code for c in classes]),
            *(and_(Case.retention_class == c.code, self._within(Case.closed_at, c)) for c in classes),
        )
        bound = exists().where(
            MediaBinding.media_id == Media.id, MediaBinding.unbound_at.is_(None), Case.id == MediaBinding.case_id, case_keeps
        )
        # A document's attachment (a version's scan or file) stays in the case file the export builds, whichever version
        # is current: the case keeps it as it keeps bound footage.
        attached = exists().where(DocumentVersion.attachment_media_id == Media.id, Case.id == DocumentVersion.case_id, case_keeps)
        return or_(bound, attached)

    def kept_without_case(self) -> ColumnElement[bool]:
        """Kept by what does not depend on a case: its standard class, its flag, a legal hold. Footage bound to no case
        is swept once this is false (`cases.unlinked` lists it with `own_end`, and warns before it happens)."""
        return or_(self.by_standard(), self.by_flag(), self.held())

    def own_end(self, uploaded_at: datetime, flag: str | None) -> tuple[RetentionClass, datetime | None]:
        """The class that keeps footage longest by itself (the standard class, the `important` one when so flagged) and
        when it runs out (None: never). A case or a legal hold may keep it longer; nothing keeps it shorter."""
        own = [self.catalog.retention("standard")] + ([self.catalog.retention(IMPORTANT)] if flag == IMPORTANT else [])
        forever = next((retention for retention in own if retention.days is None), None)
        if forever is not None:
            return forever, None
        end, retention = max(((uploaded_at + timedelta(days=r.days or 0), r) for r in own), key=lambda pair: pair[0])
        return retention, end

    def beyond_standard(self) -> ColumnElement[bool]:
        """Kept by something longer-lived than the standard class: a flag or a case."""
        return or_(self.by_flag(), self.by_case())

    @staticmethod
    def held() -> ColumnElement[bool]:
        held_media = exists().where(LegalHold.media_id == Media.id, LegalHold.lifted_at.is_(None))
        held_case = exists().where(
            MediaBinding.media_id == Media.id,
            exists().where(LegalHold.case_id == MediaBinding.case_id, LegalHold.lifted_at.is_(None)),
        )
        held_document = exists().where(
            DocumentVersion.attachment_media_id == Media.id,
            exists().where(LegalHold.case_id == DocumentVersion.case_id, LegalHold.lifted_at.is_(None)),
        )
        return or_(held_media, held_case, held_document)

    def expired(self) -> Select[Media]:
        """Footage no class keeps any longer and no hold covers: what the sweep may delete."""
        return (
            select(Media)
            .where(
                Media.status.not_in([MediaStatus.deleted, MediaStatus.processing, *WITHOUT_OBJECT]),
                ~or_(self.kept_without_case(), self.by_case()),
            )
            .order_by(Media.uploaded_at, Media.id)
        )

    async def deciding_classes(self, session: AsyncSession, media: list[Media]) -> dict[str, tuple[RetentionClass, datetime]]:
        """For each media, the class that ran out last and when: what its tombstone names."""
        ends: dict[str, list[tuple[datetime, RetentionClass]]] = {}
        for item in media:
            own, end = self.own_end(item.uploaded_at, item.flag)
            assert end is not None  # this footage ran out: none of its own classes keeps it for ever
            ends[item.id] = [(end, own)]
        classes = {c.code: c for c in self.catalog.retention_classes}
        ids = list(ends)
        for start in range(0, len(ids), 1000):  # bounded IN lists (database parameter limits)
            closed_cases = await session.execute(
                select(MediaBinding.media_id, Case.retention_class, Case.closed_at)
                .join(Case, MediaBinding.case_id == Case.id)
                .where(MediaBinding.media_id.in_(ids[start : start + 1000]), MediaBinding.unbound_at.is_(None), Case.closed_at.is_not(None))
            )
            closed_documents = await session.execute(
                select(DocumentVersion.attachment_media_id, Case.retention_class, Case.closed_at)
                .join(Case, DocumentVersion.case_id == Case.id)
                .where(DocumentVersion.attachment_media_id.in_(ids[start : start + 1000]), Case.closed_at.is_not(None))
            )
            for media_id, code, closed_at in [*closed_cases, *closed_documents]:
                retention = classes.get(code)
                if retention is not None and retention.days is not None and closed_at is not None:  # closed: the query's condition
                    ends[media_id].append((closed_at + timedelta(days=retention.days), retention))
        decided: dict[str, tuple[RetentionClass, datetime]] = {}
        for media_id, candidates in ends.items():
            end, retention = max(candidates, key=lambda pair: pair[0])
            decided[media_id] = (retention, end)
        return decided
