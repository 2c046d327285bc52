"""Atomic file writes: a crash never leaves half a file behind."""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text"]

log = logging.getLogger(__name__)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``target``; on success rename it onto ``target``.

    The temporary file lives in the target's folder, so the final :func:`os.replace`
    is atomic on POSIX and Windows.  If the body raises, the temporary file is removed
    and ``target`` is left exactly as it was.  A process killed mid-write (SIGKILL
    runs no cleanup) leaves its ``.<name>.*.tmp`` file behind: readers never open
    those, and the next write to the same target removes any older than an hour.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "x.txt") as tmp:
    ...     _ = tmp.write_text("hello")
    >>> (d / "x.txt").read_text()
    'hello'
    """
    target = Path(target)
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {target}: it is a folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise NotADirectoryError(
            f"cannot write {target}: a part of its folder path is a file"
        ) from exc
    _remove_stale(target, suffix)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=suffix + ".tmp", dir=target.parent
    )
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; give the usual permissions
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


#: Age after which a temporary file of an interrupted write is removed.
STALE_TMP_SECONDS = 3600.0


def _remove_stale(target: Path, suffix: str) -> None:
    """Remove temporary files of earlier writes to ``target`` older than an hour."""
    now = time.time()
    for old in target.parent.glob(f".{glob.escape(target.name)}.*{glob.escape(suffix)}.tmp"):
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > STALE_TMP_SECONDS:
                old.unlink()
                log.info("removed %s, left by an interrupted write", old)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(
    target: str | os.PathLike[str], mode: str, writer: Callable[[IO[Any]], object]
) -> Path:
    with atomic_path(target) as tmp:
        with open(tmp, mode) as fh:
            writer(fh)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(target)


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically and return the path."""
    return _atomic_write(target, "wb", lambda fh: fh.write(data))


def atomic_write_text(target: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically and return the path."""
    return _atomic_write(target, "wb", lambda fh: fh.write(text.encode("utf-8")))
