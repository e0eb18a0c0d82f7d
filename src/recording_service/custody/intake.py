"""What happens to evidence once ingest has stored it: the store's write-once lock, the legal holds
that cover it, and its description (a probe job). Ingest hands each completed upload here."""

from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..audit.service import Actor
from ..cases.record import move_bindings_of_merged
from ..catalog.service import load_catalog
from ..core.config import Settings
from ..core.principals import Principal
from ..ingest.service import Ingest, Outcome
from ..jobs import JobQueue
from ..media.jobs import defer_probe
from ..media.models import Media, MediaStatus
from ..storage import ObjectStore
from .locks import lock_new_evidence, mirror_holds_now
from .policy import IMPORTANT


async def evidence_stored(
    store: ObjectStore,
    settings: Settings,
    queue: JobQueue | None,
    session: AsyncSession,
    media: Media,
    outcome: Outcome,
    added: bool,
    who: Actor | Principal,
) -> None:
    # A new object (new or repaired evidence) is locked; so is existing footage a sighting made important.
    if outcome is not Outcome.duplicate or (added and media.flag == IMPORTANT):
        await lock_new_evidence(session, store, settings, load_catalog(settings.catalog_dir), who, media)
    if outcome is Outcome.repaired:
        await mirror_holds_now(session, store, who, [media.id])
    if media.status == MediaStatus.processing and queue is not None:  # an abandoned recording's kept bytes too
        # Probing runs as a job: the upload is answered once its record exists. Should this process die
        # before the job is queued, the workers' catch-up queues it.
        await defer_probe(queue, media.id)


def ingest_for(sessionmaker: async_sessionmaker[AsyncSession], store: ObjectStore, settings: Settings, queue: JobQueue | None) -> Ingest:
    return Ingest(
        sessionmaker=sessionmaker,
        store=store,
        settings=settings,
        handoff=partial(evidence_stored, store, settings, queue),
        merge_handoff=move_bindings_of_merged,  # a recording's bindings follow it into the media that had its bytes (issue 29)
    )
