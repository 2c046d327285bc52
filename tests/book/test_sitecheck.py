"""The browser check of the built site finds what a reader would see on broken pages."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from backprop_book.book.sitecheck import (
    CHROMIUM,
    Finding,
    SiteReport,
    check_site,
    inline_tex,
    list_pages,
    main,
)

pytestmark = [pytest.mark.site]

browser = pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no Chromium at {CHROMIUM}")

# a 1x1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def page(body: str, head: str = "") -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"{head}</head><body><article class='bd-article' style='width:600px'>{body}"
        "</article></body></html>"
    )


def write_site(root: Path, pages: dict[str, str]) -> Path:
    for name, text in pages.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "dot.png").write_bytes(PNG)
    return root


GOOD = page(
    "<h1 id='top'>Good</h1><p><a href='other.html#sec'>a section</a> "
    "<a href='#top'>top</a> <a href='https://example.org/'>outside</a></p>"
    "<img src='dot.png' alt='dot'><pre>print('\\\\(x\\\\) in code is fine')</pre>"
)
OTHER = page("<h2 id='sec'>Section</h2><p>Plain text.</p>")


@pytest.fixture
def good_site(tmp_path: Path) -> Path:
    return write_site(tmp_path / "good", {"index.html": GOOD, "other.html": OTHER})


def test_finding_line_and_report_counts() -> None:
    r = SiteReport(
        pages=["a.html"],
        findings=[Finding("a.html", "raw-tex", "x"), Finding("a.html", "raw-tex", "y")],
        seconds=1.0,
    )
    assert not r.ok
    assert r.counts() == {"raw-tex": 2}
    assert "2 findings (raw-tex 2)" in r.summary()
    assert json.loads(r.to_json())["counts"] == {"raw-tex": 2}


def test_list_pages_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a folder"):
        list_pages(tmp_path / "nope")


@pytest.mark.slow
@browser
def test_a_good_site_passes(good_site: Path, tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    report = check_site(good_site, screenshots_to=tmp_path / "shots", search_term=None)
    assert report.findings == []
    assert report.pages == ["index.html", "other.html"]
    assert report.external_links == 1
    assert [Path(s).name for s in report.screenshots] == [
        "index.png"
    ]  # the default pages that exist
    assert (tmp_path / "shots" / "index.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
@browser
def test_a_broken_site_fails_on_each_kind(tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    bad = page(
        "<p><a href='missing.html'>gone</a> <a href='other.html#nowhere'>no anchor</a> "
        "<a href='_modules/mod.html#Gone'>[source]</a></p>"
        "<p>The pre-activation <span class='math notranslate'>\\(s_l = W_l h_{l-1}\\)</span>.</p>"
        "<img src='missing.png' alt='missing'>"
        "<div style='width:900px'>a table wider than the column</div>"
        "<div class='cell_input'><pre style='overflow:auto'>"
        + "x = 1  # "
        + "y" * 200
        + "</pre></div>"
        "<script>console.error('boom from the page')</script>",
        head="<script src='https://cdn.example.org/mathjax.js'></script>",
    )
    root = write_site(
        tmp_path / "bad", {"index.html": bad, "other.html": OTHER, "_modules/mod.html": OTHER}
    )
    report = check_site(root, search_term=None)
    lines = [f.line() for f in report.findings]
    # a viewcode listing's missing anchor is a note, not one of the two broken links
    assert "index.html: viewcode-anchor: _modules/mod.html#Gone (no anchor #Gone)" in [
        f.line() for f in report.notes
    ]
    kinds = report.counts()
    assert kinds.get("broken-link") == 2, lines
    assert "index.html: broken-link: missing.html (no such file)" in lines
    assert "index.html: broken-link: other.html#nowhere (no anchor #nowhere)" in lines
    assert any(
        f.kind == "console-error" and "boom from the page" in f.detail for f in report.findings
    )
    assert any(f.kind == "raw-tex" and "s_l = W_l" in f.detail for f in report.findings), lines
    assert kinds.get("broken-image") == 1, lines
    assert kinds.get("failed-request", 0) >= 1, lines  # missing.png answered 404
    assert kinds.get("external") == 1, lines  # the CDN script, refused offline
    assert kinds.get("too-wide") == 1, lines
    assert all(f.page == "index.html" for f in report.findings), lines
    # a code cell wider than its box fails, though it scrolls in the box
    assert [f.detail[:20] for f in report.findings if f.kind == "code-scrolls"] == [
        "209 characters: x = "
    ]
    assert [(n.kind, n.detail[:20]) for n in report.notes] == [
        ("viewcode-anchor", "_modules/mod.html#Go")
    ]


@pytest.mark.slow
@browser
def test_missing_cell_output_is_found(tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    cells = (
        "<div class='cell'><div class='cell_input'><pre>x = 1</pre></div></div>"
        "<div class='cell'><div class='cell_input'><pre>print(x)</pre></div></div>"
    )
    root = write_site(tmp_path / "html", {"ch.html": page(cells)})
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "source": "x = 1"},
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "1\n"}],
                "source": "print(x)",
            },
        ]
    }
    nbdir = tmp_path / "jupyter_execute"
    nbdir.mkdir()
    (nbdir / "ch.ipynb").write_text(json.dumps(nb))
    report = check_site(root, search_term=None)
    assert [f.line() for f in report.findings] == [
        "ch.html: missing-output: cell 2 ran with output but shows none (print(x))"
    ]


def test_cli_reports_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().out.startswith("error: expected the built HTML folder")


def test_inline_tex_finds_single_dollar_formulas_only() -> None:
    assert inline_tex(r"raw $\alpha^2$ here") == [r"$\alpha^2$"]
    assert inline_tex(r"the slope $\sigma'(z)$ and $W_{ij}$") == [r"$\sigma'(z)$", "$W_{ij}$"]
    for prose in ("costs $5 and $6", "from $5-$10", "echo $HOME/$USER", "a bare $x$", "${HOME}"):
        assert inline_tex(prose) == [], prose


@pytest.mark.slow
@browser
def test_single_dollar_tex_left_raw_is_found(tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    root = write_site(
        tmp_path / "html",
        {
            "raw.html": page("<p>The square $\\alpha^2$ is left as plain text.</p>"),
            "money.html": page("<p>It costs $5 and $6; the shell sets $HOME.</p>"),
        },
    )
    report = check_site(root, search_term=None)
    assert [(f.page, f.kind) for f in report.findings] == [("raw.html", "raw-tex")], [
        f.line() for f in report.findings
    ]
    assert "$\\alpha^2$" in report.findings[0].detail
