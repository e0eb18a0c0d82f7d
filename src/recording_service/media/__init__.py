"""Media records (footage and the other evidence files): probing as a background job (ffprobe; Pillow for photos,
a header check for PDFs), content delivery with ranges, playback grants and playback copies, photos' thumbnails
and viewing copies, upload lag.

May import: `core`, `storage`, `audit.service`, `jobs`, `catalog.service` (retention classes), `devices.service` (who held
a device when footage that names no officer was recorded).
"""
