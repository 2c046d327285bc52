"""Run profiles and the book's execution-time budget.

Every experiment in the book runs under a *profile*:

``quick``
    sized for a 2-core CPU inside the docs build (the default);
``full``
    the reports' own settings (epochs, batch sizes, full data), meant for a GPU.

The profile is chosen in one of two ways, both read through :func:`get_profile`: a
value passed in (``backprop-book reproduce ID --profile full`` passes its option, and
the studies take the profile as an argument), or else the environment variable
``BACKPROP_BOOK_PROFILE`` (``nox -s docs -- full`` sets it for the book's chapters);
with neither, the profile is ``quick``.  The budget that the quick profile must fit, per part of the
book, lives here too (:data:`PART_BUDGETS_S`), so that every part knows its share.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

__all__ = [
    "PART_BUDGETS_S",
    "PART_TITLES",
    "PROFILE_ENV",
    "Profile",
    "Sizes",
    "get_profile",
    "part_of",
    "pick",
    "result_banner",
]

PROFILE_ENV = "BACKPROP_BOOK_PROFILE"

T = TypeVar("T")


class Profile(StrEnum):
    """The two run profiles of the book."""

    QUICK = "quick"
    FULL = "full"


def get_profile(value: str | Profile | None = None) -> Profile:
    """Return the active profile.

    Parameters
    ----------
    value
        An explicit profile name; when ``None`` the environment variable
        ``BACKPROP_BOOK_PROFILE`` is read, and when that is unset or empty the
        profile is ``quick``.

    Raises
    ------
    ValueError
        If the name is neither ``quick`` nor ``full``.

    Examples
    --------
    >>> get_profile("full")
    <Profile.FULL: 'full'>
    >>> get_profile("Quick ").value
    'quick'
    """
    source = "argument"
    if value is None:
        value = os.environ.get(PROFILE_ENV, "")
        source = f"environment variable {PROFILE_ENV}"
        if not value.strip():
            return Profile.QUICK
    if isinstance(value, Profile):
        return value
    name = str(value).strip().lower()
    try:
        return Profile(name)
    except ValueError:
        choices = ", ".join(repr(p.value) for p in Profile)
        raise ValueError(
            f"unknown profile {value!r} from {source}; expected one of {choices}"
        ) from None


def pick(quick: T, full: T, profile: str | Profile | None = None) -> T:
    """Return ``quick`` or ``full`` according to the active profile.

    >>> pick(quick=2, full=10, profile="quick")
    2
    >>> pick(quick=2, full=10, profile="full")
    10
    """
    return full if get_profile(profile) is Profile.FULL else quick


@dataclass(frozen=True)
class Sizes:
    """How much data and how many epochs a study uses under one profile.

    A study sizes itself once, with :func:`pick`:
    ``sizes = pick(Sizes(2000, 1000, 2), Sizes(None, None, 10), profile)`` takes
    2,000 training and 1,000 test images for 2 epochs under ``quick`` and all the
    data for 10 epochs under ``full``.

    Attributes
    ----------
    max_train, max_test
        Seeded random subsets of this many training / test examples (``None``: all).
    epochs
        Passes over the training data.
    val_size
        Examples held out of the training data for validation (0: none).

    Examples
    --------
    >>> pick(Sizes(2000, 1000, 2), Sizes(None, None, 10), "quick").describe()
    '2,000 training / 1,000 test images, 2 epoch(s)'
    >>> Sizes(None, 1000, 10, val_size=1000).describe()
    'all 50,000 training (1,000 of them held out for validation) / 1,000 test images, 10 epoch(s)'
    """

    max_train: int | None
    max_test: int | None
    epochs: int
    val_size: int = 0

    def __post_init__(self) -> None:
        for name in ("max_train", "max_test"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
                raise ValueError(f"Sizes.{name} must be None or an integer >= 1, got {v!r}")
        if not isinstance(self.epochs, int) or isinstance(self.epochs, bool) or self.epochs < 1:
            raise ValueError(f"Sizes.epochs must be an integer >= 1, got {self.epochs!r}")
        if not isinstance(self.val_size, int) or self.val_size < 0:
            raise ValueError(f"Sizes.val_size must be an integer >= 0, got {self.val_size!r}")

    def describe(self, n_train: int = 50_000, n_test: int = 10_000, unit: str = "images") -> str:
        """One line for a chapter, e.g. ``2,000 training / 1,000 test images, 2 epoch(s)``.

        ``n_train`` and ``n_test`` are the sizes of the whole data set (CIFAR-10's by
        default), shown where a subset is not taken.
        """
        tr = f"all {n_train:,}" if self.max_train is None else f"{self.max_train:,}"
        te = f"all {n_test:,}" if self.max_test is None else f"{self.max_test:,}"
        val = f" ({self.val_size:,} of them held out for validation)" if self.val_size else ""
        return f"{tr} training{val} / {te} test {unit}, {self.epochs} epoch(s)"


#: Seconds of cell execution that each part may spend, cold, under the quick
#: profile on a 2-core CPU.  Parts I to V and the front matter share 10 minutes; the
#: foundations part (six short chapters, measured at 30 to 35 s in small builds on a
#: shared 2-core machine) has 50 s of its own on top.
PART_BUDGETS_S: Mapping[str, float] = {
    "front": 60.0,
    "foundations": 50.0,
    "part1": 60.0,
    "part2": 120.0,
    "part3": 120.0,
    "part4": 180.0,
    "part5": 60.0,
}

PART_TITLES: Mapping[str, str] = {
    "front": "Preface and data",
    "foundations": "Foundations: backpropagation from zero",
    "part1": "Part I: derivations checked by machine",
    "part2": "Part II: the NumPy network",
    "part3": "Part III: an autograd engine",
    "part4": "Part IV: PyTorch models and trainer",
    "part5": "Part V: reproducing the reports",
}


def part_of(docname: str) -> str:
    """Map a chapter's Sphinx docname to the budget key of its part.

    Chapters live in folders ``foundations/`` and ``part1/`` ... ``part5/``;
    everything else belongs to the front matter.

    >>> part_of("part2/two_layer_net")
    'part2'
    >>> part_of("foundations/chain_rule")
    'foundations'
    >>> part_of("data")
    'front'
    """
    head = docname.replace("\\", "/").split("/", 1)[0]
    return head if head in PART_BUDGETS_S else "front"


@dataclass(frozen=True)
class _Banner:
    profile: Profile
    device: str
    data_source: str | None

    def __str__(self) -> str:
        parts = [f"profile={self.profile.value}", f"device={self.device}"]
        if self.data_source:
            parts.append(f"data={self.data_source}")
        return "[" + " | ".join(parts) + "]"


def result_banner(
    device: str, data_source: str | None = None, profile: str | Profile | None = None
) -> str:
    """One line naming the profile, device and data source behind a printed result.

    Every number the book prints is preceded or followed by this banner.

    >>> result_banner("cpu", "synthetic (seed 0)", profile="quick")
    '[profile=quick | device=cpu | data=synthetic (seed 0)]'
    """
    return str(_Banner(get_profile(profile), str(device), data_source))
