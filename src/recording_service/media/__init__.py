"""Media records (footage and the other evidence files): probing with ffprobe as a background job, content
delivery with ranges, playback grants and playback copies, upload lag.

May import: `core`, `storage`, `audit.service`, `jobs`, `catalog.service` (retention classes).
"""
