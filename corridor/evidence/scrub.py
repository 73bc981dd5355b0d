"""Working copies without metadata for every type the intake and evidence accept.

JPEG and PNG are stripped in-process while they stream (`strip.py`). Every other
type goes through a well-kept Debian tool, run as a child process on a private
copy of the plaintext:

* PDF and office documents: `mat2` (the metadata anonymisation toolkit Tails
  ships). A PDF is re-rendered page by page, so the author, the producer, XMP,
  hidden layers, scripts and embedded files do not survive; an office document
  loses its `docProps`, revision ids and comments' authors.
* MP3, OGG/Opus, WAV and HEIC: `mat2` too (it drives mutagen, ffmpeg and
  exiftool for them).
* MP4, M4A, 3GP and AMR: `ffmpeg` remuxes the picture and sound without any
  metadata (`-map_metadata -1 -fflags +bitexact`, the flags mat2 uses for video),
  but keeps only the video and audio streams: data streams can carry a GPS
  track, and cover art is a picture with its own EXIF. (mat2 would copy both.)
* JPEG, PNG and WebP: in-process, by dropping container segments (`strip.py`).
* Plain text has no metadata; the working copy is the text itself.

After the tool, `exiftool` reads the result back and the copy is refused if a
tag that identifies a person, a place, a device or a moment is still there
(`residual_metadata`), so a tool that silently did nothing cannot pass.

The plaintext lives only in a fresh directory (mode 0700) under
`CORRIDOR_SCRUB_DIR`, by default `/dev/shm` (memory, never the disk the
database and blobs are on); it is removed as soon as the copy is encrypted.
Each tool runs with a timeout, no standard input, an empty environment and CPU
and file-size limits. A type that cannot be stripped gets no working copy: the
reason code is kept and shown to staff.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from corridor.evidence.strip import DEFAULT_MAX_PIXELS, stripper_for

# Only ever the parent of a fresh `mkdtemp` directory (0700, unpredictable name).
SHM = "/dev/shm"  # noqa: S108
DEFAULT_TIMEOUT = 300
DEFAULT_MAX_BYTES = 1 << 30

MAT2 = {"pdf", "docx", "mp3", "ogg", "wav", "heic"}
FFMPEG = {"mp4": "mp4", "m4a": "mp4", "3gp": "3gp", "amr": "amr"}
INPROCESS = {"jpeg", "png", "webp"}
PLAIN = {"txt"}
EXTENSION = {"pdf": "pdf", "docx": "docx", "mp3": "mp3", "ogg": "ogg", "wav": "wav", "mp4": "mp4",
             "heic": "heic", "m4a": "m4a", "3gp": "3gp", "amr": "amr", "webp": "webp", "jpeg": "jpg",
             "png": "png", "txt": "txt"}

# Tags that name a person, a place, a device or a moment. Read back from the copy
# with `exiftool -j -G1 -n`; groups are dropped before comparison.
_FORBIDDEN = {
    "author", "artist", "creator", "lastmodifiedby", "ownername", "cameraownername", "serialnumber",
    "internalserialnumber", "lensserialnumber", "bodyserialnumber", "make", "model", "hostcomputer",
    "datetimeoriginal", "createdate", "modifydate", "mediacreatedate", "mediamodifydate", "trackcreatedate",
    "trackmodifydate", "creationdate", "gpslatitude", "gpslongitude", "gpsposition", "gpscoordinates",
    "location", "xyz", "comment", "usercomment", "copyright", "software", "creatortool", "producer",
    "encodedby", "title", "company", "manager", "keywords", "subject", "description", "imagedescription",
}
_ZERO_DATES = {"0000:00:00 00:00:00", "0", 0, ""}


class Unstrippable(Exception):
    """No working copy: `code` is stable and shown to staff through `reasons`."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


def supported(kind: str) -> bool:
    return kind in MAT2 | set(FFMPEG) | INPROCESS | PLAIN


def tool_for(kind: str) -> str:
    if kind in INPROCESS:
        return "corridor"
    if kind in PLAIN:
        return "none"
    if kind in MAT2:
        return "mat2"
    if kind in FFMPEG:
        return "ffmpeg"
    return ""


def scrub_dir() -> Path:
    from django.conf import settings

    base = getattr(settings, "CORRIDOR_SCRUB_DIR", None) or os.environ.get("CORRIDOR_SCRUB_DIR") or ""
    if not base:
        base = SHM if os.access(SHM, os.W_OK) else tempfile.gettempdir()
    return Path(base)


def _limits(max_bytes: int, seconds: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def _run(argv: list[str], *, cwd: Path, max_bytes: int, timeout: int) -> None:
    exe = shutil.which(argv[0])
    if exe is None:
        raise Unstrippable("tool_missing", argv[0])
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8", "TMPDIR": str(cwd)}
    try:
        subprocess.run([exe, *argv[1:]], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=timeout, check=True,
                       preexec_fn=_limits(max_bytes, timeout))  # noqa: PLW1509 - limits only, no threads touched
    except subprocess.TimeoutExpired:
        raise Unstrippable("tool_timeout", argv[0]) from None
    except subprocess.CalledProcessError as exc:
        raise Unstrippable("tool_failed", f"{argv[0]}: {exc.stderr[-300:]!r}") from None


def read_metadata(path: Path, *, timeout: int = 60) -> dict:
    """Every tag exiftool finds, by bare name (group dropped); Unstrippable without exiftool."""
    exe = shutil.which("exiftool")
    if exe is None:
        raise Unstrippable("tool_missing", "exiftool")
    try:
        done = subprocess.run([exe, "-j", "-G1", "-a", "-n", "-q", "-q", str(path)], capture_output=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin"})
    except subprocess.TimeoutExpired:
        raise Unstrippable("tool_timeout", "exiftool") from None
    try:
        rows = json.loads(done.stdout or b"[{}]")
    except ValueError:
        raise Unstrippable("tool_failed", "exiftool") from None
    tags: dict = {}
    for key, value in (rows[0] if rows else {}).items():
        group, _, name = key.rpartition(":")
        if group in {"System", "ExifTool"} or name == "SourceFile":
            continue
        tags.setdefault(name, value)
    return tags


def residual(tags: dict) -> list[str]:
    """The identifying tags still present (dates of zero, as ffmpeg writes them, are none)."""
    found = []
    for name, value in tags.items():
        bare = name.lower()
        if bare.startswith("gps") or bare in _FORBIDDEN:
            if "date" in bare and value in _ZERO_DATES:
                continue
            if value in ("", None):
                continue
            found.append(name)
    return sorted(found)


def _mat2(src: Path, work: Path, *, max_bytes: int, timeout: int) -> Path:
    _run(["mat2", "--unknown-members", "omit", str(src)], cwd=work, max_bytes=max_bytes, timeout=timeout)
    out = src.with_name(src.stem + ".cleaned" + src.suffix)
    if not out.exists():
        raise Unstrippable("tool_failed", "mat2 wrote nothing")
    return out


def _ffmpeg(src: Path, work: Path, fmt: str, *, max_bytes: int, timeout: int) -> Path:
    out = work / ("clean." + src.suffix.lstrip("."))
    # "V" (capital) is video that is not an attached picture; "?" lets a voice note
    # have no video. Data and subtitle streams are not mapped at all.
    _run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(src), "-map", "0:V?",
          "-map", "0:a?", "-c", "copy", "-map_metadata", "-1", "-map_chapters", "-1", "-disposition", "0",
          "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-f", fmt, "-y", str(out)],
         cwd=work, max_bytes=max_bytes, timeout=timeout)
    return out


def _check_pixels(tags: dict, max_pixels: int) -> None:
    width, height = tags.get("ImageWidth"), tags.get("ImageHeight")
    if isinstance(width, int) and isinstance(height, int) and width * height > max_pixels:
        raise Unstrippable("too_many_pixels")


@contextlib.contextmanager
def scrubbed(kind: str, chunks: Iterable[bytes], *, max_pixels: int = DEFAULT_MAX_PIXELS,
             max_bytes: int = DEFAULT_MAX_BYTES, timeout: int = DEFAULT_TIMEOUT) -> Iterator[BinaryIO]:
    """Yield an open file holding the copy without metadata; Unstrippable otherwise.

    `chunks` is the decrypted original. Whatever plaintext was written is removed
    when the block ends, whether or not it succeeded.
    """
    if not supported(kind):
        raise Unstrippable("unsupported_type", kind)
    base = scrub_dir()
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="corridor-scrub-", dir=base))
    try:
        os.chmod(work, 0o700)
        src = work / ("original." + EXTENSION[kind])
        stripper = stripper_for(kind, max_pixels)
        size = 0
        fd = os.open(src, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise Unstrippable("too_large_to_strip")
                fh.write(stripper.feed(chunk) if stripper is not None else chunk)
            if stripper is not None:
                fh.write(stripper.close())
        if kind in INPROCESS or kind in PLAIN:
            out = src
        elif kind in MAT2:
            out = _mat2(src, work, max_bytes=max_bytes, timeout=timeout)
        else:
            out = _ffmpeg(src, work, FFMPEG[kind], max_bytes=max_bytes, timeout=timeout)
        if kind not in PLAIN:
            tags = read_metadata(out)
            _check_pixels(tags, max_pixels)
            left = residual(tags)
            if left:
                raise Unstrippable("residual_metadata", ", ".join(left))
        with open(out, "rb") as handle:
            yield handle
    except Exception as exc:
        if isinstance(exc, Unstrippable):
            raise
        from corridor.evidence.sniff import Refused

        if isinstance(exc, Refused):
            raise Unstrippable(exc.code) from None
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def reasons() -> dict:
    """What staff read when a file has no working copy, by code."""
    from django.utils.translation import gettext_lazy as _

    return {
        "unsupported_type": _("Metadata cannot be removed from this type of file, so there is no working copy."),
        "tool_missing": _("The server lacks the tool that removes metadata from this type of file (mat2, "
                          "exiftool or ffmpeg). Tell the administrator."),
        "tool_failed": _("The tool that removes metadata could not read this file; it may be damaged."),
        "tool_timeout": _("Removing the metadata took too long and was stopped."),
        "too_large_to_strip": _("The file is too large to make a working copy without metadata."),
        "too_many_pixels": _("The picture has more pixels than the limit, so no working copy was made."),
        "residual_metadata": _("Metadata that identifies a person, place or device was still found after "
                               "cleaning, so no working copy was made."),
        "malformed": _("The file is damaged or malformed, so no working copy was made."),
        "bomb": _("The file declares an excessive size when opened, so no working copy was made."),
        "content_mismatch": _("The content of the file does not match its type, so no working copy was made."),
    }


def reason_text(code: str) -> str:
    table = reasons()
    return str(table.get(code, table["tool_failed"]))
