from __future__ import annotations

import pytest

from backprop_book.profiles import (
    PART_BUDGETS_S,
    PART_TITLES,
    PROFILE_ENV,
    Profile,
    get_profile,
    part_of,
    pick,
    result_banner,
)

pytestmark = pytest.mark.core


def test_default_profile_is_quick() -> None:
    assert get_profile() is Profile.QUICK


def test_profile_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROFILE_ENV, "FULL")
    assert get_profile() is Profile.FULL
    assert pick(quick=1, full=2) == 2


def test_bad_profile_names_source_and_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROFILE_ENV, "fast")
    with pytest.raises(
        ValueError, match=r"'fast' from environment variable BACKPROP_BOOK_PROFILE.*'quick', 'full'"
    ):
        get_profile()
    with pytest.raises(ValueError, match="from argument"):
        get_profile("medium")


def test_part_of_maps_chapters_to_budget_keys() -> None:
    assert part_of("part3/engine") == "part3"
    assert part_of("preface") == "front"
    assert part_of("api/part1") == "front"
    assert part_of("foundations/sensitivity") == "foundations"
    assert set(PART_BUDGETS_S) == {
        "front",
        "foundations",
        "part1",
        "part2",
        "part3",
        "part4",
        "part5",
    }
    assert set(PART_TITLES) == set(PART_BUDGETS_S)
    # Parts I to V with the front matter: 10 minutes; the foundations part: 50 s more
    assert sum(v for k, v in PART_BUDGETS_S.items() if k != "foundations") == 600.0
    assert PART_BUDGETS_S["foundations"] == 50.0


def test_banner_names_profile_device_and_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PROFILE_ENV, "full")
    assert (
        result_banner("cuda:0", "CIFAR-10 official")
        == "[profile=full | device=cuda:0 | data=CIFAR-10 official]"
    )
    assert result_banner("cpu") == "[profile=full | device=cpu]"
