"""Migration 0030: media described before keep their kind from their streams, and the pictures and PDFs the old
probe left `probe_failed` go back to `processing`, so the worker describes them again as photos and documents."""

import sqlalchemy as sa

from recording_service.core.migrate import upgrade

ROWS = [
    # id, status, container, content_type, filename, video, audio
    ("video", "ready", "mov,mp4,m4a,3gp,3g2,mj2", "video/mp4", "a.mp4", '{"codec": "h264"}', '{"codec": "aac"}'),
    ("sound", "ready", "wav", "audio/wav", "b.wav", "null", '{"codec": "pcm_s16le"}'),
    ("jpeg", "probe_failed", "jpeg_pipe", None, "IMG_0001.JPG", None, None),
    ("scan", "probe_failed", None, None, "决定书.PDF", "null", "null"),
    ("junk", "probe_failed", None, "application/octet-stream", "notes.txt", None, None),
]


def test_old_media_get_their_kind_and_old_pictures_are_described_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0029")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for media_id, status, container, content_type, filename, video, audio in ROWS:
            conn.execute(
                sa.text(
                    "INSERT INTO media (id, agency, sha256, size, storage_key, status, content_type, filename, officer_ids, container,"
                    " video, audio, created_by, uploaded_at, store_legal_hold) VALUES (:id, 'A1', :sha, 10, :key, :status, :ct, :fn,"
                    " '[]', :container, :video, :audio, 'token', '2026-03-02 01:00:00.000000', 0)"
                ),
                {
                    "id": media_id,
                    "sha": media_id.ljust(64, "0"),
                    "key": f"k/{media_id}",
                    "status": status,
                    "ct": content_type,
                    "fn": filename,
                    "container": container,
                    "video": video,
                    "audio": audio,
                },
            )
    engine.dispose()
    upgrade(url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = {row.id: (row.kind, row.status) for row in conn.execute(sa.text("SELECT id, kind, status FROM media"))}
        assert conn.execute(sa.text("SELECT count(*) FROM image_copies")).scalar() == 0
    engine.dispose()
    assert rows == {
        "video": ("video", "ready"),
        "sound": ("audio", "ready"),
        "jpeg": (None, "processing"),
        "scan": (None, "processing"),
        "junk": (None, "probe_failed"),
    }
