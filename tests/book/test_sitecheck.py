"""The browser check of the built site finds what a reader would see on broken pages."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from backprop_book.book.sitecheck import (
    CHROMIUM,
    FIGURE_HINT,
    Finding,
    SiteReport,
    check_html,
    check_site,
    inline_tex,
    list_pages,
    main,
    png_dpi,
    raw_roles,
    tex_outside_math,
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
    (root / "dot.svg").write_text(
        "<svg xmlns='http://www.w3.org/2000/svg' width='20' height='20'>"
        "<circle cx='10' cy='10' r='5'/></svg>"
    )
    return root


GOOD = page(
    "<h1 id='top'>Good</h1><p><a href='other.html#sec'>a section</a> "
    "<a href='#top'>top</a> <a href='https://example.org/'>outside</a></p>"
    "<figure><img src='dot.svg' alt='a dot'><figcaption><span class='caption-number'>"
    "Figure 1 </span>A dot.</figcaption></figure>"
    "<pre>print('\\\\(x\\\\) in code is fine')</pre>"
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


# ----------------------------------------------------------------------------- static checks
# Each rendering slip: a page that has it fails, the same page without it passes.


def kinds_of(html_text: str, root: Path | None = None, name: str = "p.html") -> list[str]:
    return [f.kind for f in check_html(html_text, name, root)]


def test_tex_command_outside_delimiters_is_found() -> None:
    cell = "\\frac{\\partial L}{\\partial w_l} = f'_l h_{l-1}^\\top"
    bad = page(f"<table><tr><td>{cell}</td></tr></table>")
    good = page(f"<table><tr><td><span class='math'>\\({cell}\\)</span></td></tr></table>")
    findings = check_html(bad, "part5/index.html")
    assert [f.kind for f in findings] == ["raw-tex"] * 3  # \frac, \partial, \top
    assert findings[0].detail.startswith("\\frac in ")
    assert kinds_of(good) == []
    # code and printed output may hold TeX source
    assert kinds_of(page(f"<pre>{cell}</pre><p><code>{cell}</code></p>")) == []
    assert tex_outside_math("a\\b or \\n in prose") == []


def test_raw_math_role_in_a_docstring_is_found() -> None:
    raw = "<dl class='py function'><dd><p>:math:`\\tilde w = w / \\max w` per unit.</p></dd></dl>"
    rendered = (
        "<dl class='py function'><dd><p><span class='math'>\\(\\tilde w\\)</span> per unit."
        "</p></dd></dl>"
    )
    assert kinds_of(page(raw)) == ["raw-role"]
    assert kinds_of(page(rendered)) == []
    # printed by a cell or shown in a listing: a slip; in a code cell's input: not
    printed = (
        "<div class='cell_output'><div class='highlight'><pre>:func:`train` runs</pre></div></div>"
    )
    listing = "<div class='highlight-python'><div class='highlight'><pre>'''x :math:`a`'''</pre></div></div>"
    assert kinds_of(page(printed)) == ["raw-role"]
    assert kinds_of(page(listing)) == ["raw-role"]  # a listing renders its docstring
    doctest = "<div class='doctest highlight-default'><div class='highlight'><pre>"
    doctest += ">>> raw_roles(':math:`x`')</pre></div></div>"
    assert kinds_of(page(doctest)) == []  # a docstring's example holds it as a string
    cell = f"<div class='cell_input'>{listing}</div>"
    assert kinds_of(page(cell)) == []  # code the chapter runs may hold a role in a string
    assert raw_roles("at 10:30: `x` and a ratio 3:4") == []


def test_mailto_link_made_from_text_is_found() -> None:
    bad = page("<p>C1 conv <a class='reference external' href='mailto:6@5x5'>6@5x5</a></p>")
    good = page("<p>C1 conv 6@5x5; write to <a href='mailto:a@example.org'>a@example.org</a></p>")
    assert [f.line() for f in check_html(bad, "api.html")] == [
        "api.html: mailto-text: '6@5x5' is a mail link (mailto:6@5x5)"
    ]
    assert kinds_of(good) == []


def card(title: str, text: str) -> str:
    return (
        "<div class='sd-card'><div class='sd-card-body'>"
        f"<div class='sd-card-title'>{title}</div>{text}</div></div>"
    )


def test_card_without_text_is_found() -> None:
    title = "Part V: every claim of the five reports, judged"
    assert kinds_of(page(card(title, f"<p>{title}</p>"))) == ["card-text"]
    assert kinds_of(page(card(title, ""))) == ["card-text"]
    good = card(title, "<p>This part gathers what the reports claim, item by item.</p>")
    assert kinds_of(page(good)) == []


def figure(img: str, caption: str | None = "Training loss of the two-layer net.") -> str:
    cap = (
        f"<figcaption><p><span class='caption-number'>Fig. 3 </span>"
        f"<span class='caption-text'>{caption}</span></p></figcaption>"
        if caption is not None
        else ""
    )
    return f"<figure>{img}{cap}</figure>"


def test_figure_without_caption_number_or_alt_text_is_found() -> None:
    good = figure("<img src='loss.svg' alt='Loss falls from 2.3 to 1.6'>")
    assert kinds_of(page(good)) == []
    no_alt = figure("<img src='loss.svg' alt=''>")
    assert [f.detail for f in check_html(page(no_alt), "p.html")] == [
        "loss.svg: no alt text" + FIGURE_HINT
    ]
    bare = page("<div class='cell_output'><img src='loss.svg' alt='loss'></div>")
    assert [f.detail for f in check_html(bare, "p.html")] == ["loss.svg: no caption" + FIGURE_HINT]
    unnumbered = page(
        "<figure><img src='a.svg' alt='a'><figcaption><p>A caption.</p></figcaption></figure>"
    )
    assert [f.detail for f in check_html(unnumbered, "p.html")] == [
        "a.svg: no number" + FIGURE_HINT
    ]
    only_number = figure("<img src='a.svg' alt='a'>", caption="")
    assert [f.detail for f in check_html(page(only_number), "p.html")] == [
        "a.svg: no caption" + FIGURE_HINT
    ]


def svg_figure(draw) -> str:  # type: ignore[no-untyped-def]
    import io

    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    draw(axes)
    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    return out.getvalue()


def test_empty_plot_is_found(tmp_path: Path) -> None:
    def empty_panel(axes) -> None:  # type: ignore[no-untyped-def]
        axes[0].plot([0, 1, 2], [2.3, 1.9, 1.7])
        axes[1].axhline(0.48, ls="-.")  # only the report's reference line, no curve
        axes[1].set_ylabel("accuracy")

    def full(axes) -> None:  # type: ignore[no-untyped-def]
        axes[0].plot([0, 1, 2], [2.3, 1.9, 1.7])
        axes[1].bar([1, 2], [0.3, 0.4])

    def contours(axes) -> None:  # type: ignore[no-untyped-def]
        import numpy as np

        g1, g2 = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5))
        for ax in axes:
            ax.contourf(g1, g2, g1 * g2)  # QuadContourSet: data too

    def grid(axes) -> None:  # type: ignore[no-untyped-def]
        import numpy as np

        axes[0].imshow(np.zeros((4, 4)))
        for ax in axes:
            ax.axis("off")  # the spare cell of a grid draws nothing: not a panel

    (tmp_path / "empty.svg").write_text(svg_figure(empty_panel))
    (tmp_path / "full.svg").write_text(svg_figure(full))
    (tmp_path / "grid.svg").write_text(svg_figure(grid))
    (tmp_path / "contours.svg").write_text(svg_figure(contours))

    def html(src: str) -> str:
        return page(figure(f"<img src='{src}' alt='curves'>"))

    found = check_html(html("empty.svg"), "p.html", tmp_path)
    assert [(f.kind, f.detail) for f in found] == [
        ("empty-plot", "empty.svg: 1 panel(s) with no data (axes_2)")
    ]
    assert check_html(html("full.svg"), "p.html", tmp_path) == []
    assert check_html(html("grid.svg"), "p.html", tmp_path) == []
    assert check_html(html("contours.svg"), "p.html", tmp_path) == []


def test_low_resolution_figure_is_found(tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [1, 0])
    fig.savefig(tmp_path / "low.png", dpi=100)
    fig.savefig(tmp_path / "high.png", dpi=200)
    plt.close(fig)
    assert round(png_dpi((tmp_path / "high.png").read_bytes()) or 0) == 200
    found = check_html(page(figure("<img src='low.png' alt='x'>")), "p.html", tmp_path)
    assert [f.detail for f in found] == ["low.png: 100 dpi, under 200 dpi (or use SVG)"]
    assert check_html(page(figure("<img src='high.png' alt='x'>")), "p.html", tmp_path) == []
    (tmp_path / "bare.png").write_bytes(PNG)  # records no resolution
    found = check_html(page(figure("<img src='bare.png' alt='x'>")), "p.html", tmp_path)
    assert [f.kind for f in found] == ["figure-resolution"]


def test_graph_squeezed_to_a_strip_is_found(tmp_path: Path) -> None:
    wide = "<svg xmlns='http://www.w3.org/2000/svg' width='3600' height='150' viewBox='0 0 3600 150'></svg>"
    (tmp_path / "g.svg").write_text(wide)
    img = "<img src='g.svg' alt='the graph of the loss'>"
    assert kinds_of(page(figure(img)), tmp_path) == ["figure-strip"]
    scrolling = figure(img).replace("<figure>", "<figure class='bb-scroll'>")
    assert kinds_of(page(scrolling), tmp_path) == []


def test_static_cli_runs_without_a_browser(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_site(
        tmp_path / "html", {"a.html": page("<p>raw \\frac{a}{b}</p>"), "b.html": OTHER}
    )
    assert main([str(root), "--static", "--chromium", str(tmp_path / "none")]) == 1
    out = capsys.readouterr().out
    assert "2 pages" in out and "a.html: raw-tex: \\frac" in out
    (root / "a.html").write_text(page("<p>typeset \\(\\frac{a}{b}\\)</p>"))
    assert main([str(root), "--static"]) == 0


@pytest.mark.slow
@browser
def test_output_cut_at_the_box_edge_is_found(tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    line = "rel. error of W1: " + " ".join(f"{i:.1e}" for i in range(1, 30))
    box = "style='overflow:auto; width:400px'"
    root = write_site(
        tmp_path / "html",
        {
            "cut.html": page(f"<div class='cell_output'><pre {box}>{line}</pre></div>"),
            "wrapped.html": page(
                f"<div class='cell_output'><pre style='overflow:auto; width:400px; "
                f"white-space: pre-wrap'>{line}</pre></div>"
            ),
        },
    )
    report = check_site(root, search_term=None)
    assert [(f.page, f.kind) for f in report.findings] == [("cut.html", "cut-off")], [
        f.line() for f in report.findings
    ]
    assert report.findings[0].detail.startswith(f"output line of {len(line)} characters: rel.")
