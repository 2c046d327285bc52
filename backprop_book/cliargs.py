"""Command-line pieces shared by the sub-commands (no torch imported here).

:class:`UsageError` marks a mistake in the command line: the ``backprop-book``
command prints it on one line and exits with status 2.  ``--sha256 HEX`` and
``--trust-archive`` (:func:`add_archive_arguments`) accept a CIFAR-10 archive
other than the shared copy.
"""

from __future__ import annotations

import argparse

from backprop_book.data.cifar10 import SHARED_ARCHIVE_SHA256

__all__ = ["UsageError", "add_archive_arguments", "expected_sha256", "positive_int"]


def positive_int(text: str) -> int:
    """An ``argparse`` type: an integer >= 1.

    >>> positive_int("3")
    3
    >>> positive_int("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a positive integer, got 0
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def add_archive_arguments(parser: argparse.ArgumentParser) -> None:
    """``--sha256 HEX`` and ``--trust-archive``: use a CIFAR-10 archive other than the shared one."""
    g = parser.add_mutually_exclusive_group()
    g.add_argument(
        "--sha256",
        default=None,
        metavar="HEX",
        help="SHA-256 of the CIFAR-10 archive to accept (default: the shared copy's)",
    )
    g.add_argument(
        "--trust-archive",
        action="store_true",
        help="accept a CIFAR-10 archive whatever its checksum (its own checksum keys the cache)",
    )


def expected_sha256(args: argparse.Namespace) -> str | None:
    """The archive checksum the command line asks for (``None``: any archive).

    >>> ns = argparse.Namespace(sha256=None, trust_archive=True)
    >>> expected_sha256(ns) is None
    True
    """
    if getattr(args, "trust_archive", False):
        return None
    sha = getattr(args, "sha256", None)
    if sha is None:
        return SHARED_ARCHIVE_SHA256
    if len(sha) != 64 or any(c not in "0123456789abcdefABCDEF" for c in sha):
        raise UsageError(f"--sha256 expects 64 hexadecimal digits, got {sha!r}")
    return str(sha).lower()


class UsageError(ValueError):
    """A command-line mistake: the CLI prints it on one line and exits with status 2."""
