"""A walk over the top-level boxes of a fragmented MP4 as its bytes arrive (ISO/IEC 14496-12).

ftyp … moov is the init segment; each moof with the mdat after it is one fragment (boxes between
fragments — styp, sidx, prft, emsg, free — travel with the next one). Only box headers are read, plus
the moov and each moof whole (a few KB: the timescale from mdhd, the defaults from trex, each fragment's
tfdt and trun). The walk resumes where the last complete fragment ended, so nothing is read twice.

The bytes are a dock's or a camera's, never trusted: a box that is not MP4, a moov without mvex (a
recording that is not fragmented: its index comes at the end), a box running to the end of the file,
sizes no header can have — all end the walk with NotLive, never an exception of another kind. A box
whose size reaches past the bytes received has simply not arrived yet.
"""

import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

MAX_INIT = 1024 * 1024  # ftyp + moov of a fragmented recording is a few KB; more is not a live stream
MAX_MOOF = 4 * 1024 * 1024  # a moof lists its samples: a few KB for seconds of video
WINDOW = 4096  # headers are read in windows of this much (a moof of seconds of video often fits)
SKIPPED = frozenset({b"free", b"skip", b"styp", b"sidx", b"ssix", b"prft", b"emsg", b"uuid", b"mfra", b"pdin", b"meta", b"udta"})

Read = Callable[[int, int], Awaitable[bytes]]  # bytes [start, end) of the recording


class NotLive(Exception):
    """The recording cannot be shown live; `code` names why (problem type slug), `reason` says it in Chinese."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Init:
    end: int  # the init segment is bytes [0, end)
    track_id: int
    timescale: int
    default_duration: int  # trex's, for samples whose trun and tfhd give none


@dataclass(frozen=True)
class Fragment:
    start: int
    end: int
    decode_time: int | None  # tfdt, in the track's timescale
    duration: int  # in the track's timescale


@dataclass
class Walked:
    init: Init | None
    fragments: list[Fragment] = field(default_factory=list)
    position: int = 0  # where the next walk starts: the end of the last complete fragment (or of the init segment)


class _Window:
    """Reads through a small window, so consecutive headers cost one read."""

    def __init__(self, read: Read, received: int) -> None:
        self._read = read
        self.received = received
        self._start = 0
        self._data = b""

    async def get(self, start: int, end: int) -> bytes:
        if start >= self._start and end <= self._start + len(self._data):
            return self._data[start - self._start : end - self._start]
        self._start = start
        self._data = await self._read(start, min(self.received, max(end, start + WINDOW)))
        return self._data[: end - start]


async def _header(window: _Window, position: int) -> tuple[bytes, int, int] | None:
    """(type, size, header length) of the box at `position`, None until its header has arrived."""
    if position + 8 > window.received:
        return None
    head = await window.get(position, position + 8)
    size, kind = struct.unpack(">I4s", head)
    length = 8
    if size == 1:
        if position + 16 > window.received:
            return None
        (size,) = struct.unpack(">Q", await window.get(position + 8, position + 16))
        length = 16
    if not all(32 <= b < 127 for b in kind):
        raise NotLive("not-mp4", "收到的数据不是 MP4 音像格式，无法实时查看。")
    if size == 0:
        raise NotLive("not-fragmented", "这段录像的数据一直写到文件末尾才结束（不是分段 MP4），录制结束前无法实时查看。")
    if size < length:
        raise NotLive("not-mp4", "收到的数据不是有效的 MP4 音像格式，无法实时查看。")
    return kind, size, length


def _children(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in data[start:end]; a box that overruns ends the list."""
    end = len(data) if end is None else end
    out, position = [], start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            if position + 16 > end:
                break
            (size,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            break
        out.append((kind, position + header, position + size))
        position += size
    return out


def _first(boxes: list[tuple[bytes, int, int]], kind: bytes) -> tuple[int, int] | None:
    return next(((start, end) for k, start, end in boxes if k == kind), None)


def _u32(data: bytes, position: int, end: int) -> int:
    if position + 4 > end:
        raise NotLive("not-mp4", "MP4 的索引信息不完整，无法实时查看。")
    value: int = struct.unpack_from(">I", data, position)[0]
    return value


def _u64(data: bytes, position: int, end: int) -> int:
    if position + 8 > end:
        raise NotLive("not-mp4", "MP4 的索引信息不完整，无法实时查看。")
    value: int = struct.unpack_from(">Q", data, position)[0]
    return value


def parse_moov(moov: bytes, end: int) -> Init:
    """The track to time fragments by (the first video track, else the first track) from a whole moov box
    (its header included); `end` is where the init segment ends in the recording."""
    inside = _children(moov, 16 if moov[:4] == b"\0\0\0\1" else 8, len(moov))
    mvex = _first(inside, b"mvex")
    if mvex is None:
        raise NotLive("not-fragmented", "这段录像不是分段 MP4（索引在文件末尾），录制结束前无法实时查看。")
    tracks: list[tuple[int, int, bytes]] = []  # (track id, timescale, handler)
    for kind, start, stop in inside:
        if kind != b"trak":
            continue
        trak = _children(moov, start, stop)
        tkhd, mdia = _first(trak, b"tkhd"), _first(trak, b"mdia")
        if tkhd is None or mdia is None:
            continue
        version = moov[tkhd[0]]
        track_id = _u32(moov, tkhd[0] + (20 if version == 1 else 12), tkhd[1])
        media = _children(moov, *mdia)
        mdhd, hdlr = _first(media, b"mdhd"), _first(media, b"hdlr")
        if mdhd is None:
            continue
        timescale = _u32(moov, mdhd[0] + (20 if moov[mdhd[0]] == 1 else 12), mdhd[1])
        handler = moov[hdlr[0] + 8 : hdlr[0] + 12] if hdlr is not None and hdlr[0] + 12 <= hdlr[1] else b""
        if timescale > 0:
            tracks.append((track_id, timescale, handler))
    if not tracks:
        raise NotLive("no-track", "这段录像没有可播放的音视频轨道，无法实时查看。")
    track_id, timescale, _handler = next((t for t in tracks if t[2] == b"vide"), tracks[0])
    default_duration = 0
    for kind, start, stop in _children(moov, *mvex):
        if kind == b"trex" and _u32(moov, start + 4, stop) == track_id:
            default_duration = _u32(moov, start + 12, stop)
    return Init(end=end, track_id=track_id, timescale=timescale, default_duration=default_duration)


def parse_moof(moof: bytes, init: Init) -> tuple[int | None, int]:
    """(tfdt, duration) of the init's track in this fragment, in its timescale; (None, 0) when it has none."""
    for kind, start, stop in _children(moof, 16 if moof[:4] == b"\0\0\0\1" else 8, len(moof)):
        if kind != b"traf":
            continue
        traf = _children(moof, start, stop)
        tfhd = _first(traf, b"tfhd")
        if tfhd is None or _u32(moof, tfhd[0] + 4, tfhd[1]) != init.track_id:
            continue
        flags = _u32(moof, tfhd[0], tfhd[1]) & 0xFFFFFF
        position = tfhd[0] + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
        default_duration = _u32(moof, position, tfhd[1]) if flags & 0x08 else init.default_duration
        tfdt = _first(traf, b"tfdt")
        decode_time = None
        if tfdt is not None:
            decode_time = _u64(moof, tfdt[0] + 4, tfdt[1]) if moof[tfdt[0]] == 1 else _u32(moof, tfdt[0] + 4, tfdt[1])
        duration = 0
        for box, run_start, run_end in traf:
            if box != b"trun":
                continue
            run_flags = _u32(moof, run_start, run_end) & 0xFFFFFF
            count = _u32(moof, run_start + 4, run_end)
            position = run_start + 8 + (4 if run_flags & 0x01 else 0) + (4 if run_flags & 0x04 else 0)
            per_sample = 4 * bin(run_flags & 0xF00).count("1")
            if position + count * per_sample > run_end:
                raise NotLive("not-mp4", "分段的样本表超出了其所在的数据块，无法实时查看。")
            if run_flags & 0x100:
                duration += sum(struct.unpack_from(">I", moof, position + i * per_sample)[0] for i in range(count))
            else:
                duration += count * default_duration
        return decode_time, duration
    return None, 0


async def walk(read: Read, received: int, init: Init | None, position: int) -> Walked:
    """Continue the walk at `position` (0 with no init yet) over the first `received` bytes."""
    window = _Window(read, received)
    if init is None:
        position = 0
        while True:
            header = await _header(window, position)
            if header is None:
                return Walked(None, [], 0)
            kind, size, _length = header
            if position == 0 and kind != b"ftyp":
                raise NotLive("not-mp4", "收到的数据不是 MP4 音像格式（开头没有 ftyp），无法实时查看。")
            if kind in (b"mdat", b"moof"):
                raise NotLive("not-fragmented", "这段录像不是分段 MP4（索引在文件末尾），录制结束前无法实时查看。")
            if kind == b"moov":
                if position + size > MAX_INIT:
                    raise NotLive("init-too-large", "这段录像的初始化信息过大，不像实时录制的分段 MP4，无法实时查看。")
                if position + size > received:
                    return Walked(None, [], 0)  # not yet arrived
                moov = await read(position, position + size)
                init = parse_moov(moov, position + size)
                position = init.end
                break
            position += size
    fragments: list[Fragment] = []
    start, timing = position, None
    cursor = position
    while True:
        header = await _header(window, cursor)
        if header is None:
            break
        kind, size, length = header
        if kind == b"moof":
            if size > MAX_MOOF:
                raise NotLive("fragment-too-large", "分段的索引过大，不像实时录制的分段 MP4，无法实时查看。")
            if cursor + size > received:
                break
            timing = parse_moof(await window.get(cursor, cursor + size), init)
        elif kind == b"mdat":
            if timing is None:
                raise NotLive("not-fragmented", "数据块前缺少分段索引（moof），无法实时查看。")
            if cursor + size > received:
                break
            fragments.append(Fragment(start, cursor + size, timing[0], timing[1]))
            start, timing = cursor + size, None
        elif kind in (b"moov", b"ftyp"):
            raise NotLive("not-mp4", "录像中出现了第二个文件头，无法实时查看。")
        elif kind not in SKIPPED and not kind.isalnum():
            raise NotLive("not-mp4", "收到的数据不是 MP4 音像格式，无法实时查看。")
        cursor += size
    return Walked(init, fragments, start)
