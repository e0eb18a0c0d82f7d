"""The `recording-dock` client: syncs a dock's directory of recordings to the service over tus (resumable,
verified, deleting local copies only once the server's record proves the same bytes).

May import: nothing of the service — it talks HTTP only, and works from a `pip install` without extras.
"""
