"""CIFAR-10 from either of two sources, decoded once into cached uint8 arrays.

Sources
-------
``official``
    The data set as published by Krizhevsky (2009), read through
    :class:`torchvision.datasets.CIFAR10`.  It is downloaded only when the caller
    asks (``download=True``).
``image-folder``
    A copy that stores every image as a JPEG file in the usual image-folder layout
    (``train/<class>/*.jpg``, ``test/<class>/*.jpg``), either as a ``.tar.gz``
    archive or unpacked.  The JPEG re-encoding is lossy, so pixel values (and hence
    accuracies, by a fraction of a point) differ slightly from the official files.

Every loaded split says which source it came from (:attr:`CifarSplit.source`).

Decoding 60,000 JPEG files takes tens of seconds, so the image-folder copy is
decoded once per split and cached as an uncompressed ``.npz`` file, keyed by the
archive's SHA-256 (or, for an unpacked folder, by a digest of its file listing).
Cache files are written atomically; a truncated or otherwise unreadable cache file
is rebuilt, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import lzma
import os
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

import numpy as np

from backprop_book._io import atomic_path
from backprop_book.runtime import repo_root

__all__ = [
    "CACHE_ENV",
    "CIFAR10_CLASSES",
    "DATA_ENV",
    "SHARED_ARCHIVE_SHA256",
    "SHARED_TEST_STATS",
    "CifarSplit",
    "DataSource",
    "cifar10_status",
    "default_cache_dir",
    "find_cifar10",
    "holdout_split",
    "load_cifar10",
    "read_archive",
]

log = logging.getLogger(__name__)

#: CIFAR-10's classes in label order (also the alphabetical order of the folders).
CIFAR10_CLASSES: tuple[str, ...] = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
#: SHA-256 of the shared image-folder archive ``cifar10-jpeg.tar.gz``.
SHARED_ARCHIVE_SHA256 = "40eddc17fbad151d281f739c84ba718b7acb0578fdfb3a780548e0748e3a7ed1"
#: Per-channel (R, G, B) mean and standard deviation of the shared copy's test split on
#: the 0..1 scale, as published with the copy (the data chapter compares its own).
SHARED_TEST_STATS: dict[str, tuple[float, float, float]] = {
    "mean": (0.4941, 0.4851, 0.4504),
    "std": (0.2448, 0.2422, 0.2606),
}
#: Environment variable with the path of the CIFAR-10 copy to use (archive, folder,
#: or a torchvision root holding ``cifar-10-batches-py``).
DATA_ENV = "BACKPROP_BOOK_CIFAR10"
#: Environment variable overriding the cache folder.
CACHE_ENV = "BACKPROP_BOOK_CACHE"

Split = Literal["train", "test"]
SourceKind = Literal["official", "image-folder"]
_SPLITS = ("train", "test")
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
_CACHE_FORMAT = 2  # 2: records its source, split and content digest
_CACHE_KEYS = {"format", "images", "labels", "source_key", "split", "content_sha256"}


def default_cache_dir() -> Path:
    """``$BACKPROP_BOOK_CACHE``, else ``$XDG_CACHE_HOME/backprop_book``, else ``~/.cache/backprop_book``."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return _check_folder(Path(env).expanduser(), f"${CACHE_ENV}")
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return _check_folder(base / "backprop_book", "$XDG_CACHE_HOME" if xdg else "the cache folder")


def _check_folder(path: Path, what: str) -> Path:
    """``path`` if it is a folder or can become one; else a clear error naming ``what``."""
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                raise NotADirectoryError(
                    f"{what} must name a folder for the cache, but {p} is a file"
                    + ("" if p == path else f" (in the path {path})")
                )
            break
    return path


def _official_default_root() -> Path:
    return default_cache_dir() / "cifar10-official"


@dataclass(frozen=True)
class DataSource:
    """Which CIFAR-10 copy is used, and where it is."""

    kind: SourceKind
    path: Path
    #: ``archive``, ``folder`` (image-folder copy) or ``torchvision`` (official).
    layout: Literal["archive", "folder", "torchvision"]

    def describe(self) -> str:
        """A short human-readable description, used in every printed result."""
        if self.kind == "official":
            return f"CIFAR-10 official (torchvision, {self.path})"
        return (
            f"CIFAR-10 image-folder JPEG copy ({self.layout}, {self.path.name}; lossy re-encoding)"
        )

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class CifarSplit:
    """One split of CIFAR-10 as arrays.

    Attributes
    ----------
    images
        ``uint8`` array of shape ``(N, 32, 32, 3)`` (height, width, RGB channel).
    labels
        ``int64`` array of shape ``(N,)`` with values in ``0..9``.
    classes
        Class names in label order.
    split
        ``"train"`` or ``"test"``.
    source
        The :class:`DataSource` the arrays came from.
    """

    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    split: str
    source: DataSource

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def subset(self, index: np.ndarray | slice) -> CifarSplit:
        """The examples selected by ``index`` (a slice or an integer index array), same source."""
        return CifarSplit(
            self.images[index], self.labels[index], self.classes, self.split, self.source
        )


# ----------------------------------------------------------------------------- locating


def _classify(path: Path) -> DataSource:
    """Decide what kind of CIFAR-10 copy ``path`` is, or raise a clear error."""
    if not path.exists():
        raise FileNotFoundError(f"CIFAR-10 path {path} does not exist")
    if path.is_file():
        if path.name.endswith((".tar.gz", ".tgz", ".tar")):
            return DataSource("image-folder", path, "archive")
        raise ValueError(
            f"expected a .tar.gz archive of the image-folder copy, got the file {path}"
        )
    if (path / "cifar-10-batches-py").is_dir():
        return DataSource("official", path, "torchvision")
    if path.name == "cifar-10-batches-py":
        return DataSource("official", path.parent, "torchvision")
    for candidate in (path, path / "cifar10-jpeg"):
        if (candidate / "train").is_dir() or (candidate / "test").is_dir():
            return DataSource("image-folder", candidate, "folder")
    raise ValueError(
        f"{path} is neither an image-folder copy of CIFAR-10 (with train/ and test/ folders) "
        "nor a torchvision root (with cifar-10-batches-py/)"
    )


def _shared_archive() -> Path | None:
    root = repo_root()
    if root is None:
        return None
    candidate = root.parent / "shared" / "data" / "cifar10-jpeg.tar.gz"
    return candidate if candidate.is_file() else None


def find_cifar10(
    source: Literal["auto", "official", "image-folder"] = "auto",
    root: str | os.PathLike[str] | None = None,
) -> DataSource:
    """Locate a CIFAR-10 copy without loading it.

    Order of search for ``source="auto"``: the ``root`` argument; the environment
    variable ``BACKPROP_BOOK_CIFAR10``; an official copy already downloaded to the
    cache folder; the shared image-folder archive beside a source checkout
    (``../shared/data/cifar10-jpeg.tar.gz``).

    Raises
    ------
    FileNotFoundError
        If nothing is found; the message says how to get the data.
    ValueError
        If a given path is not a CIFAR-10 copy, or is of the other kind than asked.
    """
    if source not in ("auto", "official", "image-folder"):
        raise ValueError(f"source must be 'auto', 'official' or 'image-folder', got {source!r}")
    given = Path(root).expanduser() if root is not None else None
    env = os.environ.get(DATA_ENV)
    if given is None and env:
        given = Path(env).expanduser()
    if given is not None:
        if source == "official" and not given.exists():
            return DataSource("official", given, "torchvision")  # download target
        found = _classify(given)
        if source != "auto" and found.kind != source:
            raise ValueError(
                f"asked for the {source} CIFAR-10 but {given} holds the {found.kind} copy"
            )
        return found
    official = _official_default_root()
    if source in ("auto", "official") and (official / "cifar-10-batches-py").is_dir():
        return DataSource("official", official, "torchvision")
    if source == "official":
        return DataSource("official", official, "torchvision")
    shared = _shared_archive()
    if shared is not None:
        return DataSource("image-folder", shared, "archive")
    raise FileNotFoundError(
        "no CIFAR-10 found: set the environment variable "
        f"{DATA_ENV} to the image-folder copy (a .tar.gz archive or its unpacked folder), "
        "or load the official data set with load_cifar10(source='official', download=True) "
        f"(it is stored under {official})"
    )


# ----------------------------------------------------------------------------- image-folder decoding


def _sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _split_member(name: str) -> tuple[str, str, str] | None:
    """``(split, class, filename)`` for ``.../train/<class>/<file>.jpg`` paths, else ``None``."""
    parts = PurePosixPath(name).parts
    if len(parts) < 3 or not parts[-1].lower().endswith(_IMAGE_SUFFIXES):
        return None
    split, cls, fname = parts[-3], parts[-2], parts[-1]
    return (split, cls, fname) if split in _SPLITS else None


def _check_classes(found: Iterable[str], split: str, where: Path) -> None:
    found = set(found)
    missing = [c for c in CIFAR10_CLASSES if c not in found]
    extra = sorted(found - set(CIFAR10_CLASSES))
    if missing or extra:
        msg = f"expected the 10 CIFAR-10 class folders under {where} ({split}/)"
        if missing:
            msg += f"; missing: {', '.join(missing)}"
        if extra:
            msg += f"; unexpected: {', '.join(extra)}"
        raise ValueError(msg)


def _decode(
    blobs: Iterable[tuple[int, str, bytes]], n: int, progress: bool, desc: str
) -> tuple[np.ndarray, np.ndarray]:
    """Decode ``(label, name, bytes)`` images; a file that is not a 32x32 image is named."""
    from PIL import Image, UnidentifiedImageError
    from tqdm import tqdm

    images = np.empty((n, 32, 32, 3), dtype=np.uint8)
    labels = np.empty((n,), dtype=np.int64)
    for i, (label, name, blob) in enumerate(
        tqdm(blobs, total=n, desc=desc, disable=not progress, unit="img")
    ):
        try:
            with Image.open(io.BytesIO(blob)) as im:
                arr = np.asarray(im.convert("RGB"))
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ValueError(
                f"cannot decode the image {name} ({type(exc).__name__}: {exc}); the file is "
                "damaged, truncated or not an image: replace it or remove it"
            ) from exc
        if arr.shape != (32, 32, 3):
            raise ValueError(
                f"expected 32x32 RGB images, got an image of shape {arr.shape} in {name}"
            )
        images[i] = arr
        labels[i] = label
    return images, labels


def _check_not_empty(counts: dict[str, int], split: str, where: Path) -> None:
    """Every class needs images: a split with an empty class folder would train on it silently."""
    empty = [c for c in CIFAR10_CLASSES if counts.get(c, 0) == 0]
    if empty:
        raise ValueError(
            f"expected images in every class folder of {where} ({split}/), but "
            f"{', '.join(f'{split}/{c}/' for c in empty)} "
            + ("has none" if len(empty) == 1 else "have none")
        )


@contextlib.contextmanager
def read_archive(path: Path) -> Iterator[tarfile.TarFile]:
    """Open a (compressed) tar archive; on leaving, read its stream to the end.

    tarfile stops at the archive's end-of-archive blocks, before gzip's trailer,
    so a flipped bit in the compressed data could decode silently into a
    different image; reading to the end makes gzip (bz2, xz) check its CRC.  A
    damaged or truncated archive raises :class:`ValueError` naming the file.

    >>> with read_archive(Path("no-such.tar.gz")) as tar:  # doctest: +ELLIPSIS
    ...     pass
    Traceback (most recent call last):
    ...
    ValueError: cannot read the archive no-such.tar.gz: ...
    """
    try:
        with tarfile.open(path, "r:*") as tar:
            yield tar
            stream = tar.fileobj
            if stream is not None:
                while stream.read(1 << 20):
                    pass
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        raise ValueError(
            f"cannot read the archive {path}: {type(exc).__name__}: {exc}; the file is damaged "
            "or truncated (download or copy it again)"
        ) from exc


def _decode_archive(path: Path, split: str, progress: bool) -> tuple[np.ndarray, np.ndarray]:
    """Decode one split of an archive in a single sequential pass over the compressed stream."""
    found: list[tuple[str, str, bytes]] = []
    with read_archive(path) as tar:
        for m in tar:
            info = _split_member(m.name) if m.isfile() else None
            fh = tar.extractfile(m) if info is not None and info[0] == split else None
            if info is not None and fh is not None:
                found.append((info[1], info[2], fh.read()))
    if not found:
        raise ValueError(f"the archive {path} has no images under a {split}/<class>/ folder")
    _check_classes({c for c, _, _ in found}, split, path)
    index = {c: i for i, c in enumerate(CIFAR10_CLASSES)}
    blobs = sorted(((index[c], f, blob) for c, f, blob in found), key=lambda t: (t[0], t[1]))
    return _decode(
        (
            (label, f"{split}/{CIFAR10_CLASSES[label]}/{f} in {path}", blob)
            for label, f, blob in blobs
        ),
        len(blobs),
        progress,
        f"decode {split}",
    )


def _folder_files(folder: Path, split: str) -> list[tuple[int, Path]]:
    base = folder / split
    if not base.is_dir():
        raise FileNotFoundError(
            f"expected a {split}/ folder of class folders in {folder}, found none"
        )
    _check_classes([p.name for p in base.iterdir() if p.is_dir()], split, folder)
    out: list[tuple[int, Path]] = []
    counts: dict[str, int] = {}
    for label, cls in enumerate(CIFAR10_CLASSES):
        files = sorted(
            p for p in (base / cls).iterdir() if p.is_file() and p.suffix.lower() in _IMAGE_SUFFIXES
        )
        counts[cls] = len(files)
        out.extend((label, p) for p in files)
    _check_not_empty(counts, split, folder)
    return out


def _folder_digest(files: list[tuple[int, Path]]) -> str:
    h = hashlib.sha256()
    for label, p in files:
        st = p.stat()
        h.update(f"{label}/{p.parent.name}/{p.name}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _decode_folder(
    files: list[tuple[int, Path]], split: str, progress: bool
) -> tuple[np.ndarray, np.ndarray]:
    def blobs() -> Iterator[tuple[int, str, bytes]]:
        for label, p in files:
            yield label, str(p), p.read_bytes()

    return _decode(blobs(), len(files), progress, f"decode {split}")


# ----------------------------------------------------------------------------- cache


def _content_digest(images: np.ndarray, labels: np.ndarray) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(images).tobytes())
    h.update(np.ascontiguousarray(labels).tobytes())
    return h.hexdigest()


def _read_cache(path: Path, source_key: str, split: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Return the cached arrays, or ``None`` (and log why) if the file is absent or unusable.

    A cache file is used only if it names the source it was decoded from
    (``source_key``: the archive's SHA-256 or the folder listing's digest) and the
    split, and its arrays still have the digest recorded when it was written: a
    well-formed file copied from another source or edited since is rebuilt.
    """
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            keys = set(z.files)
            fmt = int(z["format"]) if "format" in keys else -1
            ok = fmt == _CACHE_FORMAT and keys >= _CACHE_KEYS
            if ok:
                images, labels = z["images"], z["labels"]
                recorded = (str(z["source_key"]), str(z["split"]), str(z["content_sha256"]))
        ok = (
            ok
            and images.dtype == np.uint8
            and images.ndim == 4
            and images.shape[1:] == (32, 32, 3)
            and labels.dtype == np.int64
            and labels.shape == (images.shape[0],)
            and (labels.size == 0 or (labels.min() >= 0 and labels.max() < 10))
        )
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("CIFAR-10 cache %s is unreadable (%s); rebuilding it", path, exc)
        return None
    if not ok:
        log.warning("CIFAR-10 cache %s has unexpected contents; rebuilding it", path)
        return None
    if recorded[:2] != (source_key, split):
        log.warning(
            "CIFAR-10 cache %s was decoded from another source (%s, %s); rebuilding it",
            path,
            recorded[0][:16],
            recorded[1],
        )
        return None
    if recorded[2] != _content_digest(images, labels):
        log.warning("CIFAR-10 cache %s was changed after it was written; rebuilding it", path)
        return None
    return images, labels


def _write_cache(
    path: Path, images: np.ndarray, labels: np.ndarray, source_key: str, split: str
) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(
            fh,
            images=images,
            labels=labels,
            format=np.int64(_CACHE_FORMAT),
            source_key=np.str_(source_key),
            split=np.str_(split),
            content_sha256=np.str_(_content_digest(images, labels)),
        )


# ----------------------------------------------------------------------------- public loaders


def _load_official(src: DataSource, split: str, download: bool) -> tuple[np.ndarray, np.ndarray]:
    from torchvision.datasets import CIFAR10

    try:
        ds = CIFAR10(str(src.path), train=(split == "train"), download=download)
    except RuntimeError as exc:
        raise FileNotFoundError(
            f"the official CIFAR-10 is not at {src.path} (or is corrupted): {exc} "
            "Pass download=True to fetch it, or use the image-folder copy via "
            f"{DATA_ENV}."
        ) from exc
    images = np.ascontiguousarray(np.asarray(ds.data, dtype=np.uint8))
    labels = np.asarray(ds.targets, dtype=np.int64)
    return images, labels


def load_cifar10(
    split: Split = "train",
    *,
    source: Literal["auto", "official", "image-folder"] = "auto",
    root: str | os.PathLike[str] | None = None,
    download: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    expected_sha256: str | None = SHARED_ARCHIVE_SHA256,
    progress: bool = False,
) -> CifarSplit:
    """Load one split of CIFAR-10 as uint8 arrays, saying which source was used.

    Parameters
    ----------
    split
        ``"train"`` (50,000 images) or ``"test"`` (10,000 images).
    source
        ``"auto"`` (see :func:`find_cifar10`), ``"official"`` or ``"image-folder"``.
    root
        Path of the copy: an archive, an unpacked image folder, or a torchvision root.
        Defaults to ``$BACKPROP_BOOK_CIFAR10``.
    download
        Official source only: download the data set if it is missing.  Nothing is
        ever downloaded unless this is ``True``.
    cache_dir
        Where decoded arrays are cached (default :func:`default_cache_dir`).
    expected_sha256
        Checksum an archive must have; the shared copy's by default.  Another
        archive is accepted only when asked: its own checksum here, or ``None`` to
        accept any archive.  Either way the archive's own checksum keys the cache,
        and a cache file is used only if it records that checksum, the split, and
        the digest of its arrays (see :func:`_read_cache`).
    progress
        Show a tqdm progress bar while decoding.

    Returns
    -------
    CifarSplit
        ``images`` of shape ``(N, 32, 32, 3)``, ``labels`` of shape ``(N,)``.

    Raises
    ------
    FileNotFoundError
        Missing data set or path.
    ValueError
        Wrong checksum, missing or empty class folders, an image that cannot be
        decoded (the message names the file), or an unknown split/source.
    NotADirectoryError
        If ``$BACKPROP_BOOK_CACHE`` (or the cache folder) names a file.
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if expected_sha256 is not None and not (
        isinstance(expected_sha256, str) and re.fullmatch(r"[0-9a-fA-F]{64}", expected_sha256)
    ):
        raise ValueError(
            f"expected_sha256 must be 64 hexadecimal digits (or None), got {expected_sha256!r}"
        )
    src = find_cifar10(source, root)
    if src.kind == "official":
        images, labels = _load_official(src, split, download)
        return CifarSplit(images, labels, CIFAR10_CLASSES, split, src)

    cache_root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if src.layout == "archive":
        digest = _sha256(src.path)
        if expected_sha256 is not None and digest != expected_sha256.lower():
            raise ValueError(
                f"checksum mismatch for {src.path}: expected sha256 {expected_sha256}, got "
                f"{digest} (a damaged or different archive). To use this archive anyway, say "
                f"so: --sha256 {digest} (or --trust-archive) on the command line, "
                f"expected_sha256={digest[:8]!r}... (or None) in Python"
            )
        key = digest
        cache = cache_root / "cifar10" / f"archive-{digest[:16]}-{split}.v{_CACHE_FORMAT}.npz"
        cached = _read_cache(cache, key, split)
        if cached is None:
            log.info("decoding the %s split of %s into %s", split, src.path, cache)
            cached = _decode_archive(src.path, split, progress)
            _write_cache(cache, *cached, key, split)
    else:
        if expected_sha256 is not None and expected_sha256.lower() != SHARED_ARCHIVE_SHA256:
            raise ValueError(
                f"a checksum (sha256 {expected_sha256[:12]}...) was given, but {src.path} is an "
                "unpacked folder copy, which has no archive checksum to compare; point at the "
                ".tar.gz archive, or leave the checksum out for a folder"
            )
        files = _folder_files(src.path, split)
        key = _folder_digest(files)
        cache = cache_root / "cifar10" / f"folder-{key[:16]}-{split}.v{_CACHE_FORMAT}.npz"
        cached = _read_cache(cache, key, split)
        if cached is None:
            log.info("decoding the %s split of %s into %s", split, src.path, cache)
            cached = _decode_folder(files, split, progress)
            _write_cache(cache, *cached, key, split)
    images, labels = cached
    return CifarSplit(images, labels, CIFAR10_CLASSES, split, src)


def holdout_split(data: CifarSplit, n_holdout: int, seed: int) -> tuple[CifarSplit, CifarSplit]:
    """Split off ``n_holdout`` random examples (e.g. a validation set), seeded.

    Report B uses 49,000 training and 1,000 validation images from the 50,000.

    >>> import numpy as np
    >>> src = DataSource("image-folder", Path("x"), "folder")
    >>> d = CifarSplit(np.zeros((10, 32, 32, 3), np.uint8), np.arange(10) % 10, CIFAR10_CLASSES, "train", src)
    >>> a, b = holdout_split(d, 3, seed=0)
    >>> len(a), len(b), sorted(np.r_[a.labels, b.labels].tolist()) == list(range(10))
    (7, 3, True)
    """
    n = len(data)
    if not 0 < n_holdout < n:
        raise ValueError(
            f"n_holdout must be between 1 and {n - 1} for {n} examples, got {n_holdout}"
        )
    perm = np.random.default_rng(seed).permutation(n)
    keep, hold = np.sort(perm[n_holdout:]), np.sort(perm[:n_holdout])
    return data.subset(keep), data.subset(hold)


def cifar10_status(cache_dir: str | os.PathLike[str] | None = None) -> dict[str, object]:
    """What :func:`load_cifar10` would use now, without decoding: source, path, cache state.

    Returns a dict with ``source`` (a description, or ``None``), ``error`` (why
    nothing was found), ``cache_dir`` and ``cached`` (the cache files present).
    """
    cache_root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cached = (
        sorted(p.name for p in (cache_root / "cifar10").glob("*.npz"))
        if (cache_root / "cifar10").is_dir()
        else []
    )
    status: dict[str, object] = {
        "source": None,
        "error": None,
        "cache_dir": str(cache_root),
        "cached": cached,
    }
    try:
        src = find_cifar10()
    except (FileNotFoundError, ValueError) as exc:
        status["error"] = str(exc)
    else:
        status["source"] = src.describe()
        status["path"] = str(src.path)
        status["kind"] = src.kind
    return status
