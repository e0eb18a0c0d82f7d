"""Request bodies as async byte streams, and the streaming multipart/form-data reader."""

from collections.abc import AsyncIterator

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from ..core.problems import Problem
from .service import ClientDisconnected

MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 64  # parts in one form, the file included
MAX_FORM_METADATA_BYTES = 64 * 1024  # every field but the file together, headers included


async def request_body(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect:
        raise ClientDisconnected() from None


class MultipartUpload:
    """Parses multipart/form-data as it arrives: small fields are collected, the `file` part is
    streamed out through `file_bytes()` without ever being buffered whole or spooled to disk."""

    def __init__(self, request: Request) -> None:
        content_type, params = parse_options_header(request.headers.get("content-type", ""))
        boundary = params.get(b"boundary")
        if content_type != b"multipart/form-data" or not boundary:
            raise Problem(415, "unsupported-media-type", "Send multipart/form-data with a 'file' part.")
        self._body = request_body(request)
        self.fields: dict[str, str] = {}
        self.file_seen = False
        self.file_done = False
        self._headers: dict[bytes, bytes] = {}
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._current: str | None = None
        self._is_file = False
        self._field_value = bytearray()
        self._file_out: list[bytes] = []
        self._ended = False
        self._parts = 0
        self._metadata_bytes = 0
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field_data,
                "on_header_value": self._header_value_data,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )

    def _part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_FIELDS:
            raise Problem(413, "form-too-large", f"A form may have at most {MAX_FIELDS} parts.")
        self._headers = {}
        self._field_value = bytearray()

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field.extend(data[start:end])
        if len(self._header_field) > MAX_FIELD_BYTES:
            raise Problem(413, "form-too-large", "A form part's header is too large.")

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value.extend(data[start:end])
        if len(self._header_value) > MAX_FIELD_BYTES:
            raise Problem(413, "form-too-large", "A form part's header is too large.")

    def _count(self, size: int) -> None:
        self._metadata_bytes += size
        if self._metadata_bytes > MAX_FORM_METADATA_BYTES:
            raise Problem(413, "form-too-large", f"The form's fields and headers may hold at most {MAX_FORM_METADATA_BYTES} bytes.")

    def _header_end(self) -> None:
        self._count(len(self._header_field) + len(self._header_value))
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        self._current = name
        self._is_file = name == "file"
        if self._is_file:
            if self.file_seen:
                raise Problem(400, "invalid-form", "Send exactly one 'file' part.")
            self.file_seen = True
            filename = params.get(b"filename")
            if filename and "filename" not in self.fields:
                self.fields["filename"] = filename.decode("utf-8", "replace")
            part_type = self._headers.get(b"content-type")
            if part_type and part_type != b"application/octet-stream" and "content_type" not in self.fields:
                self.fields["content_type"] = part_type.decode("latin-1")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self._file_out.append(bytes(data[start:end]))
        else:
            self._field_value.extend(data[start:end])
            self._count(end - start)
            if len(self._field_value) > MAX_FIELD_BYTES:
                raise Problem(400, "invalid-form", f"Form field '{self._current}' is too large.")

    def _part_end(self) -> None:
        if self._is_file:
            self.file_done = True
        elif self._current:
            try:
                self.fields[self._current] = self._field_value.decode("utf-8")
            except UnicodeDecodeError:
                raise Problem(400, "invalid-form", f"Form field '{self._current}' is not UTF-8.") from None
        self._is_file = False

    def _end(self) -> None:
        self._ended = True

    async def _feed_next(self) -> bool:
        try:
            chunk = await anext(self._body)
        except StopAsyncIteration:
            return False
        self._parser.write(chunk)
        return True

    async def read_until_file(self) -> None:
        """Consume the fields that precede the file part."""
        while not self.file_seen:
            if not await self._feed_next():
                raise Problem(400, "invalid-form", "The form has no 'file' part.")

    async def file_bytes(self) -> AsyncIterator[bytes]:
        """The file's bytes; then reads the rest of the body so trailing fields are collected too."""
        while True:
            if self._file_out:
                out, self._file_out = self._file_out, []
                for piece in out:
                    yield piece
            if self._ended:
                break
            if not await self._feed_next():
                break
        if not self._ended:
            raise Problem(400, "invalid-form", "The multipart body ended early.")
