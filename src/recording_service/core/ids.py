import uuid


def new_id() -> str:
    """Random, URL-safe identifier used for every resource (32 hex characters)."""
    return uuid.uuid4().hex
