FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /srv/recording --uid 10001 recording

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY migrations ./migrations
RUN pip install --no-cache-dir . \
 && install -d -o recording -g recording -m 0750 /srv/recording/data /srv/recording/keys

USER recording
WORKDIR /srv/recording
# The case-file signing key lives on its own volume: not in the database's volume or its backups.
ENV RECORDING_DATABASE_URL=sqlite:////srv/recording/data/recording.db \
    RECORDING_STORAGE_URL=file:///srv/recording/data/objects \
    RECORDING_SIGNING_KEY_FILE=/srv/recording/keys/signing-key.pem
VOLUME ["/srv/recording/data", "/srv/recording/keys"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["recording-service", "serve", "--host", "0.0.0.0", "--port", "8000"]
