"""Every table, imported in one place for Alembic."""

from .auth.models import ApiToken
from .db import Base
from .ingest.models import Upload, UploadPart
from .media.models import Media, MediaSighting

__all__ = ["ApiToken", "Base", "Media", "MediaSighting", "Upload", "UploadPart"]
