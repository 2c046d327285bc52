"""Open every page of the built book in headless Chromium, with no network, and check it.

The docs build proves that the sources compile; this check proves that a reader
sees the book.  The HTML folder is served on ``127.0.0.1`` and every page is
loaded in Chromium (Debian's ``chromium``, driven by Playwright's Python package
with ``executable_path``; Playwright's own browser download is never used).  Any
request that leaves ``127.0.0.1`` is refused, as on a machine with no network.
For each page the check records a :class:`Finding` when

=====================  =================================================================
kind                   what it means
=====================  =================================================================
``console-error``      the page logged an error or threw an uncaught exception
``failed-request``     a request failed or answered with an HTTP status of 400 or more
``external``           the page asked for a resource outside the book (refused offline)
``broken-link``        an internal link names a missing file or a missing ``#anchor``
``broken-image``       an image is missing or did not decode
``raw-tex``            TeX source is left on the page (the renderer did not run): ``\\(``,
                       ``\\[``, ``$$``, ``\\begin{``, a one-line ``$...$`` pair that
                       holds TeX (see :func:`inline_tex`), or a TeX command outside any
                       delimiters (``\\frac`` in a table cell, :func:`tex_outside_math`)
``math-error``         MathJax could not typeset a formula (``mjx-merror``)
``missing-output``     a cell that produced output in the executed notebook shows none
``cell-error``         a cell's output is a traceback
``too-wide``           an element runs past the content column outside a scroll box
``code-scrolls``       a code cell's input is wider than its box: the book keeps code to 88
                       columns, and the stylesheet sizes the font so that 88 fit
``cut-off``            a line of printed output or of a listing runs past its box's right
                       edge (the reader sees it cut, or must scroll the box to read it)
``raw-role``           a reST role shown as text (``:math:`...```): a docstring not
                       rendered as reStructuredText
``mailto-text``        a mail link made from text that is no address (``6@5x5``)
``card-text``          a card that shows nothing but its title
``figure-caption``     a figure without a number, a caption or alt text
``figure-resolution``  a raster figure under 200 dpi (figures are SVG, or PNG at 200 dpi)
``figure-strip``       a figure so much wider than tall that the column shrinks it to a strip
``empty-plot``         a matplotlib panel with axes but no data (:func:`empty_axes`)
``copy-button``        a code cell's copy button did not copy that cell's code
``search``             the search page did not find a term that the book contains
``load``               the page did not load at all
=====================  =================================================================

A missing anchor on a link to or from a source listing of ``sphinx.ext.viewcode``
(``_modules/``) is a *note* (reported, not a failure) of kind ``viewcode-anchor``:
viewcode pairs listings and API entries by each object's own module and misses
re-exported names and dataclass fields.

The executed notebooks that MyST-NB leaves next to the HTML folder
(``jupyter_execute/``) say which cells produced output; a cell whose output was
visible there (a result, a figure, printed text) must show an output on its page.

The kinds from ``raw-role`` on, and the undelimited TeX commands, are judged from
each page's HTML and its image files alone (:func:`check_html`, no browser, a few
milliseconds a page); ``--static`` runs only those.

Run it as ``python -m backprop_book.book.sitecheck docs/_build/html`` (``nox -s site``);
it exits 1 when it finds anything.

>>> Finding("index.html", "broken-link", "missing.html").line()
'index.html: broken-link: missing.html'
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import re
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CHROMIUM",
    "CHROMIUM_FLAGS",
    "KINDS",
    "Finding",
    "SiteReport",
    "check_html",
    "check_site",
    "check_static",
    "empty_axes",
    "inline_tex",
    "is_autolinked_non_address",
    "list_pages",
    "main",
    "png_dpi",
    "raw_roles",
    "serve",
    "tex_outside_math",
]

#: Debian's Chromium (``apt-get install chromium``).
CHROMIUM = "/usr/bin/chromium"
#: Flags for a headless Chromium on a machine with no network and no display; a fresh
#: ``--user-data-dir`` is added per run (Playwright adds ``--headless``).
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
KINDS = (
    "console-error",
    "failed-request",
    "external",
    "broken-link",
    "broken-image",
    "raw-tex",
    "math-error",
    "missing-output",
    "cell-error",
    "too-wide",
    "code-scrolls",
    "cut-off",
    "raw-role",
    "mailto-text",
    "card-text",
    "figure-caption",
    "figure-resolution",
    "figure-strip",
    "empty-plot",
    "copy-button",
    "search",
    "load",
)
#: Kinds listed as notes: seen and reported, but not failures (see :func:`_check_links`).
NOTE_KINDS = ("viewcode-anchor",)
#: The pages photographed when the caller names none (those that exist).
DEFAULT_SCREENSHOTS = ("index.html", "part1/mlp_backprop.html", "part4/report_a.html")
#: A term of the book that the search page must find.
DEFAULT_SEARCH_TERM = "softmax"
VIEWPORT: Any = {"width": 1280, "height": 900}  # a laptop screen


@dataclass(frozen=True)
class Finding:
    """One problem on one page: the page (relative to the site), its kind, what was seen."""

    page: str
    kind: str
    detail: str

    def line(self) -> str:
        """The finding as one line of text."""
        return f"{self.page}: {self.kind}: {self.detail}"


@dataclass
class SiteReport:
    """What a run of :func:`check_site` saw."""

    pages: list[str]
    findings: list[Finding]
    seconds: float
    screenshots: list[str] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    external_links: int = 0
    copy_checks: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    def counts(self) -> dict[str, int]:
        """Number of findings of each kind (kinds with none are left out)."""
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.kind] = out.get(f.kind, 0) + 1
        return out

    def summary(self) -> str:
        """A few lines: pages, time, findings by kind, then every finding."""
        head = (
            f"site check: {len(self.pages)} pages in {self.seconds:.1f} s, "
            f"{len(self.findings)} findings"
            + (
                f" ({', '.join(f'{k} {n}' for k, n in sorted(self.counts().items()))})"
                if self.findings
                else ""
            )
            + f"; {self.copy_checks} copy buttons tried, {self.external_links} external links not followed"
            + (f"; {len(self.notes)} notes (not failures)" if self.notes else "")
        )
        lines = [head, *(f"  {f.line()}" for f in self.findings)]
        if self.notes:
            lines += ["notes:", *(f"  {f.line()}" for f in self.notes)]
        return "\n".join(lines)

    def to_json(self) -> str:
        """The report as JSON (pages, findings, seconds, screenshots)."""
        return json.dumps(
            {
                "pages": self.pages,
                "seconds": round(self.seconds, 2),
                "counts": self.counts(),
                "findings": [asdict(f) for f in self.findings],
                "notes": [asdict(f) for f in self.notes],
                "screenshots": self.screenshots,
                "copy_checks": self.copy_checks,
                "external_links": self.external_links,
            },
            indent=2,
        )


# ----------------------------------------------------------------------------- serving


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    """A server that drops a request the browser abandoned (a closed pipe) silently."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipe, reset
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(root: str | Path) -> Iterator[str]:
    """Serve the folder ``root`` on ``127.0.0.1`` (a free port) while the block runs.

    Yields the base URL, ending in ``/``.
    """
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def list_pages(root: str | Path) -> list[str]:
    """Every HTML page of the site, relative to ``root``, sorted (``_static``/``_sources`` left out).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for p in ("index.html", "a/b.html", "_static/x.html"):
    ...     (d / p).parent.mkdir(parents=True, exist_ok=True); _ = (d / p).write_text("")
    >>> list_pages(d)
    ['a/b.html', 'index.html']
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"expected the built HTML folder, got {str(root)!r} (not a folder)")
    skip = {"_static", "_sources", "_images", "_downloads"}
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.html")
        if not (set(p.relative_to(root).parts[:-1]) & skip)
    )


# ----------------------------------------------------------------------------- static helpers

#: A ``$...$`` pair on one line: the opening ``$`` follows no word character, ``$`` or
#: backslash and is followed by no space; the closing ``$`` follows no space or backslash
#: and is followed by no word character or ``$``.  "costs $5 and $6" has no such pair.
#: The same pattern runs in the page (JavaScript reads it alike).
DOLLAR_PAIR = r"(?<![\w$\\])\$([^\s$](?:[^$\n]{0,200}?[^\s$\\])?)\$(?![\w$])"
#: What makes a ``$...$`` pair TeX rather than prose: a backslash command, ``^``,
#: ``_`` or a brace.  A bare ``$x$`` is not flagged (it may be a shell variable).
TEX_INSIDE = r"\\[A-Za-z]+|[\^_{}]"


def inline_tex(text: str) -> list[str]:
    r"""The single-dollar TeX formulas left as plain text in ``text`` (with their dollars).

    >>> inline_tex(r"the square $\alpha^2$ and $\sigma'(z)$ are raw")
    ['$\\alpha^2$', "$\\sigma'(z)$"]
    >>> inline_tex("it costs $5 and $6; echo $HOME/bin; a bare $x$ passes")
    []
    >>> inline_tex("prices $5-$10, ${HOME}, 2^n items")
    []
    """
    return [
        f"${m.group(1)}$"
        for m in re.finditer(DOLLAR_PAIR, text)
        if re.search(TEX_INSIDE, m.group(1)) and not m.group(1).startswith("{")
    ]


_ID_RE = re.compile(r"""\b(?:id|name)\s*=\s*["']([^"']+)["']""")


class _Anchors:
    """The ``id``/``name`` values of the site's files, read once per file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[Path, set[str]] = {}

    def of(self, path: Path) -> set[str]:
        if path not in self._cache:
            text = path.read_text(encoding="utf-8", errors="replace")
            self._cache[path] = {urllib.parse.unquote(m) for m in _ID_RE.findall(text)}
        return self._cache[path]


def _local_file(root: Path, base: str, url: str) -> tuple[Path, str] | None:
    """The file and fragment an internal URL points to, or None for an external URL."""
    if not url.startswith(base):
        return None
    parsed = urllib.parse.urlsplit(url)
    rel = urllib.parse.unquote(parsed.path.lstrip("/"))
    path = root / rel
    if rel == "" or rel.endswith("/"):
        path = path / "index.html"
    return path, urllib.parse.unquote(parsed.fragment)


def _visible_outputs(cell: dict[str, Any]) -> bool:
    """Whether an executed notebook cell has output a reader should see."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    if tags & {"remove-cell", "remove-output", "remove_cell", "remove_output"}:
        return False
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if (
            kind == "stream"
            and out.get("name") == "stdout"
            and "".join(out.get("text", "")).strip()
        ):
            return True
        if kind in ("execute_result", "display_data"):
            if "scrapbook" in out.get("metadata", {}):  # a glue()d value: shown where it is pasted
                continue
            return True
    return False


def _expected_outputs(notebooks: Path | None, page: str) -> list[bool] | None:
    """Per code cell shown on the page: did it produce visible output? None: no notebook."""
    if notebooks is None:
        return None
    nb_path = notebooks / Path(page).with_suffix(".ipynb")
    if not nb_path.is_file():
        return None
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    out = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"remove-cell", "remove_cell"}:
            continue
        out.append(_visible_outputs(cell))
    return out


# ----------------------------------------------------------------------------- static checks
# What can be judged from a page's HTML and its image files alone runs here, without a
# browser: each page is parsed once (BeautifulSoup, the parser Sphinx's theme already
# uses), so these checks take milliseconds a page and run in the unit tests directly.

#: A TeX command left as text: a backslash and two or more letters, not preceded by a
#: backslash or word character ("\\frac", "\\partial"; "\\n" and "a\\b" are not).
TEX_COMMAND = r"(?<![\\\w])\\[A-Za-z]{2,}"
#: Math that MathJax typesets (or that the ``raw-tex`` rule reports on its own).
_DELIMITED = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]|\$\$.*?\$\$", re.DOTALL)
#: A reStructuredText role left as text: ``:math:`x```, ``:func:`f```, ``:py:class:`C```.
RAW_ROLE = r":(?:[a-z]+:)?[a-z][a-z-]*:`[^`\n]+`"
#: A domain name: labels joined by dots, ending in a top-level domain of letters.
_DOMAIN = re.compile(r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}")
#: How to give a chapter's figure what the ``figure-caption`` rule asks for.
FIGURE_HINT = (
    " (a code cell: metadata mystnb.figure.caption and .name, mystnb.image.alt;"
    " markdown: {figure} with :alt: and a caption)"
)
#: The smallest resolution of a raster figure, in dots per inch.
MIN_DPI = 200
#: Minimum width of a figure as shown, in CSS pixels per line of its height: a graph
#: scaled down to a strip (the whole-loss graph at 25 px) is unreadable.  See
#: :func:`figure_aspect`.
MAX_ASPECT = 8.0


def tex_outside_math(text: str) -> list[str]:
    r"""TeX commands in ``text`` that stand outside any math delimiters.

    MathJax typesets ``\(...\)``, ``\[...\]`` and ``$$...$$``; a command outside them
    reaches the reader as source, e.g. a formula quoted without its dollars.

    >>> tex_outside_math(r"the rule \frac{\partial L}{\partial w} = h")
    ['\\frac', '\\partial', '\\partial']
    >>> tex_outside_math(r"typeset \(\frac{a}{b}\) and $$\sum_i x_i$$; a\b, \n, C:\x")
    []
    """
    # a one-line $...$ pair is the raw-tex rule's own (:func:`inline_tex`)
    return re.findall(TEX_COMMAND, re.sub(DOLLAR_PAIR, " ", _DELIMITED.sub(" ", text)))


def raw_roles(text: str) -> list[str]:
    """reStructuredText roles left as text (the docstring was not rendered as reST).

    >>> raw_roles("the map :math:`\\\\tilde w = w` and :func:`~numpy.dot` stay raw")
    [':math:`\\\\tilde w = w`', ':func:`~numpy.dot`']
    >>> raw_roles("time 10:30: `x` is code; a ratio 3:4")
    []
    """
    return re.findall(RAW_ROLE, text)


def is_autolinked_non_address(href: str, text: str) -> bool:
    """Whether a ``mailto:`` link was made from text that is not an e-mail address.

    Docutils and linkify turn any ``a@b`` into a mail link; ``6@5x5`` (six maps of
    5x5) has no domain name after the ``@``.

    >>> is_autolinked_non_address("mailto:6@5x5", "6@5x5")
    True
    >>> is_autolinked_non_address("mailto:someone@example.org", "someone@example.org")
    False
    """
    if not href.lower().startswith("mailto:"):
        return False
    address = urllib.parse.unquote(href[len("mailto:") :]).split("?", 1)[0]
    _, _, domain = address.rpartition("@")
    return not _DOMAIN.fullmatch(domain)


def png_dpi(data: bytes) -> float | None:
    """The resolution a PNG records (its ``pHYs`` chunk), in dots per inch; None if none.

    >>> import struct, zlib
    >>> def chunk(kind, body):
    ...     return struct.pack(">I", len(body)) + kind + body + struct.pack(
    ...         ">I", zlib.crc32(kind + body))
    >>> png = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"pHYs", struct.pack(">IIB", 7874, 7874, 1))
    >>> round(png_dpi(png))
    200
    >>> png_dpi(b"\\x89PNG\\r\\n\\x1a\\n") is None
    True
    """
    import struct

    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"pHYs" and length >= 9:
            x, _y, unit = struct.unpack(">IIB", data[pos + 8 : pos + 17])
            return x * 0.0254 if unit == 1 else None
        if kind in (b"IDAT", b"IEND"):
            return None
        pos += 12 + length
    return None


_SVG = "{http://www.w3.org/2000/svg}"
#: Children of a matplotlib axes that draw data: lines, images, and every artist whose
#: SVG id is its class name (PathCollection, QuadContourSet, QuadMesh, PolyCollection,
#: ...); patches (the background, spines, bars), text, legends and axes are lower case.
_DATA_ID = re.compile(r"(?:line2d|image|[A-Z]\w*)_\d+")


def _filled(group: Any) -> bool:
    for path in group.iter(f"{_SVG}path"):
        style = path.get("style", "")
        fill = re.search(r"fill:\s*([^;]+)", style)
        if fill is None or fill.group(1).strip() != "none":
            return True
    return False


def _reference_line(group: Any) -> bool:
    """A line of two points that is level or upright (``axhline``), with no markers."""
    if group.find(f".//{_SVG}use") is not None:
        return False
    paths = list(group.iter(f"{_SVG}path"))
    if len(paths) != 1:
        return False
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", paths[0].get("d", ""))]
    if len(nums) != 4:
        return False
    x0, y0, x1, y1 = nums
    return abs(y0 - y1) < 1e-6 or abs(x0 - x1) < 1e-6


def empty_axes(svg: str) -> list[str]:
    """The panels of a matplotlib SVG figure that show a frame or axes but no data.

    Data are lines, markers, bars, collections and images; a panel holding only a
    reference line (``axhline``), text or a legend is empty.  A panel that draws
    nothing at all (``axis("off")`` with no data, the spare cells of a grid) is left
    out: the reader sees no panel there.  Returns the panels' SVG ids.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import io, matplotlib.pyplot as plt
    >>> fig, (a, b) = plt.subplots(1, 2)
    >>> _ = a.plot([1, 2, 3], [3, 1, 2]); _ = b.axhline(0.5); _ = b.set_ylabel("accuracy")
    >>> out = io.StringIO(); fig.savefig(out, format="svg"); plt.close(fig)
    >>> empty_axes(out.getvalue())
    ['axes_2']
    """
    import xml.etree.ElementTree as ET

    try:
        tree = ET.fromstring(svg)
    except ET.ParseError:
        return []
    empty = []
    for axes in tree.iter(f"{_SVG}g"):
        if not re.fullmatch(r"axes_\d+", axes.get("id", "")):
            continue
        visible = has_data = False
        first_patch = True
        for child in axes:
            cid = child.get("id") or ""
            if child.find(f".//{_SVG}image") is not None or child.tag == f"{_SVG}image":
                has_data = True
            elif cid.startswith("line2d_"):
                has_data = has_data or not _reference_line(child)
                visible = True
            elif _DATA_ID.fullmatch(cid):
                has_data = True
            elif cid.startswith("patch_"):
                visible = True
                if not first_patch and _filled(child):
                    has_data = True  # a bar; the first patch is the background
                first_patch = False
            elif cid.startswith("matplotlib.axis_"):
                visible = True
        if visible and not has_data:
            empty.append(axes.get("id", ""))
    return empty


def figure_aspect(width: float, height: float) -> float:
    """Width over height of a figure as drawn (``inf`` for a zero height).

    >>> figure_aspect(600, 25)
    24.0
    """
    return width / height if height > 0 else float("inf")


def _svg_size(svg: str) -> tuple[float, float] | None:
    """The width and height an SVG declares (its viewBox, else its width/height)."""
    head = svg[: svg.find(">", svg.find("<svg")) + 1] if "<svg" in svg else ""
    box = re.search(r"viewBox\s*=\s*[\"']([^\"']+)[\"']", head)
    if box:
        parts = [float(v) for v in re.split(r"[\s,]+", box.group(1).strip())]
        if len(parts) == 4:
            return parts[2], parts[3]
    w = re.search(r"\bwidth\s*=\s*[\"']([\d.]+)", head)
    h = re.search(r"\bheight\s*=\s*[\"']([\d.]+)", head)
    if w and h:
        return float(w.group(1)), float(h.group(1))
    return None


def _text_outside(root: Any, skip: str) -> Iterator[str]:
    """The text nodes under ``root`` outside any element matching ``skip``."""
    from bs4 import NavigableString
    from bs4.element import Comment, Doctype, ProcessingInstruction

    skipped = set(map(id, root.select(skip))) if skip else set()
    # a walk that does not enter a skipped element: linear in the page's size
    stack = [root]
    while stack:
        el = stack.pop()
        for child in reversed(el.contents):
            if isinstance(child, NavigableString):
                if not isinstance(child, Comment | Doctype | ProcessingInstruction):
                    yield str(child)
            elif id(child) not in skipped:
                stack.append(child)


def _norm(text: str) -> str:
    return " ".join(text.split()).strip().rstrip(".:").casefold()


def _image_file(root: Path | None, page: str, src: str) -> Path | None:
    if root is None or not src or re.match(r"^[a-z]+:", src):
        return None
    path = (root / Path(page).parent / urllib.parse.unquote(src.split("#")[0])).resolve()
    return path if path.is_file() else None


#: Where prose is: code, math, scripts and the search results hold no prose.
_PROSE_SKIP = (
    "script, style, textarea, pre, code, kbd, samp, .math, mjx-container, "
    ".highlight, .cell_input, #search-results"
)
#: Where a role left raw can hide: everything but the code a chapter runs (cell inputs),
#: docstrings' examples (doctest blocks) and inline literals.  Printed output counts, and so do listings of the package: a
#: listed object's docstring is rendered above its code (:mod:`backprop_book.book.rendering`),
#: so a role shown in a listing is a slip.
_ROLE_SKIP = "script, style, textarea, code, kbd, samp, .cell_input, .doctest, #search-results"


def check_html(
    html_text: str, page: str, root: str | Path | None = None, *, numbered: bool = True
) -> list[Finding]:
    """The findings on one page that its HTML (and its image files under ``root``) show.

    Kinds: ``raw-tex`` (a TeX command outside math delimiters), ``raw-role`` (a reST
    role shown as text, e.g. ``:math:`...```), ``mailto-text`` (a mail link made from
    text that is no address), ``card-text`` (a card with no text beyond its title),
    ``figure-caption`` (a figure without caption, alt text or, with ``numbered``, a
    number), ``figure-resolution`` (a raster figure under :data:`MIN_DPI`),
    ``figure-strip`` (a figure more than :data:`MAX_ASPECT` times wider than tall,
    squeezed to a strip by the column) and ``empty-plot`` (a matplotlib panel with no
    data).

    >>> check_html("<p>quoted \\\\frac{a}{b}</p>", "p.html")[0].line()
    'p.html: raw-tex: \\\\frac in "quoted \\\\frac{a}{b}"'
    """
    from bs4 import BeautifulSoup

    if _is_viewcode(page):  # highlighted source: no prose, figures, cards or links made
        return []
    soup = BeautifulSoup(html_text, "html.parser")
    body = soup.body or soup
    content = body.select_one("article.bd-article") or body.select_one("[role=main]") or body
    root_path = Path(root) if root is not None else None
    out: list[Finding] = []

    def add(kind: str, detail: str) -> None:
        out.append(Finding(page, kind, detail))

    for text in _text_outside(content, _PROSE_SKIP):
        # a role left raw is reported once, as raw-role
        for cmd in dict.fromkeys(tex_outside_math(re.sub(RAW_ROLE, " ", text))):
            add("raw-tex", f'{cmd} in "{" ".join(text.split())[:70]}"')
    for text in _text_outside(content, _ROLE_SKIP):
        for role in raw_roles(text):
            add("raw-role", f"{role[:70]} (shown as text)")
    for a in body.select('a[href^="mailto:"], a[href^="MAILTO:"]'):
        href = str(a.get("href", ""))
        if is_autolinked_non_address(href, a.get_text()):
            add("mailto-text", f"{a.get_text().strip()!r} is a mail link ({href})")
    for card in body.select(".sd-card"):
        title_el = card.select_one(".sd-card-title")
        title = _norm(title_el.get_text(" ")) if title_el else ""
        body_el = card.select_one(".sd-card-body")
        text = _norm(body_el.get_text(" ")) if body_el else ""
        rest = text.replace(title, "", 1).strip() if title else text
        if not _norm(rest) or _norm(rest) == title:
            add("card-text", f"card {title or '(untitled)'!r} has no text beyond its title")
    for img in content.select("img:not(.toggler), .cell_output svg, figure svg"):
        if img.name == "svg" and img.find_parent("img") is not None:
            continue
        if img.find_parent(["a", "button"]) is not None and img.name == "svg":
            continue  # an icon
        src = str(img.get("src") or "") if img.name == "img" else ""
        label = src.rsplit("/", 1)[-1] or "inline SVG"
        missing = []
        alt = str(img.get("alt" if img.name == "img" else "aria-label") or "")
        title_el = img.find("title") if img.name == "svg" else None
        if not alt and title_el is not None:
            alt = title_el.get_text()
        if not alt.strip():
            missing.append("alt text")
        fig = img.find_parent("figure")
        cap = fig.find("figcaption") if fig is not None else None
        cap_text = ""
        if cap is not None:
            number = cap.select_one(".caption-number")
            cap_text = cap.get_text(" ")
            if number is not None:
                cap_text = cap_text.replace(number.get_text(" "), "", 1)
            if numbered and number is None:
                missing.append("number")
        if not cap_text.strip():
            missing.append("caption")
        if missing:
            add("figure-caption", f"{label}: no {', no '.join(missing)}{FIGURE_HINT}")
        path = _image_file(root_path, page, src)
        if path is None:
            continue
        if path.suffix.lower() == ".png":
            dpi = png_dpi(path.read_bytes())
            if dpi is None or dpi < MIN_DPI - 0.5:
                shown = "no resolution recorded" if dpi is None else f"{dpi:.0f} dpi"
                add("figure-resolution", f"{label}: {shown}, under {MIN_DPI} dpi (or use SVG)")
        elif path.suffix.lower() == ".svg":
            svg = path.read_text(encoding="utf-8", errors="replace")
            panels = empty_axes(svg)
            if panels:
                add("empty-plot", f"{label}: {len(panels)} panel(s) with no data ({panels[0]})")
            size = _svg_size(svg)
            scrolls = fig is not None and "bb-scroll" in (fig.get("class") or [])
            if size and not scrolls and figure_aspect(*size) > MAX_ASPECT:
                add(
                    "figure-strip",
                    f"{label}: {size[0]:.0f} x {size[1]:.0f}, shrunk to a strip by the "
                    "column (split it, or show it in a scrolling figure)",
                )
    return out


def check_static(root: str | Path, pages: Sequence[str] | None = None) -> SiteReport:
    """Run :func:`check_html` over the built site, without a browser.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.html").write_text("<p>see <a href='mailto:6@5x5'>6@5x5</a></p>")
    >>> [f.kind for f in check_static(d).findings]
    ['mailto-text']
    """
    root = Path(root)
    pages = list(pages) if pages is not None else list_pages(root)
    start = time.perf_counter()
    findings: list[Finding] = []
    for rel in pages:
        text = (root / rel).read_text(encoding="utf-8", errors="replace")
        findings += check_html(text, rel, root)
    return SiteReport(pages=pages, findings=findings, seconds=time.perf_counter() - start)


# ----------------------------------------------------------------------------- in-page scripts

_SETTLE_JS = """
async () => {
  if (document.fonts && document.fonts.ready) { await document.fonts.ready; }
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) { await mj.startup.promise; }
  if (mj && mj.typesetPromise) { await mj.typesetPromise(); }
  if (document.fonts && document.fonts.ready) { await document.fonts.ready; }
  return !!(mj && mj.startup);
}
"""

_PAGE_JS = r"""
() => {
  const skip = 'pre, code, script, style, textarea, kbd, samp, mjx-container, .highlight, #search-results';
  const out = {rawTex: [], mathErrors: [], unrendered: [], links: [], images: [], cells: []};
  const tex = /\\\(|\\\[|\$\$|\\begin\{|\\end\{/;
  const pair = new RegExp(String.raw`@DOLLAR_PAIR@`, 'g');
  const inside = new RegExp(String.raw`@TEX_INSIDE@`);
  const dollarTex = (s) => [...s.matchAll(pair)].some(
    (m) => inside.test(m[1]) && !m[1].startsWith('{'));
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const parent = node.parentElement;
    if (!parent || parent.closest(skip)) continue;
    if (tex.test(node.nodeValue) || dollarTex(node.nodeValue)) out.rawTex.push(node.nodeValue.trim().slice(0, 80));
  }
  for (const el of document.querySelectorAll('.math')) {
    if (el.closest('pre, code, #search-results')) continue;
    if (!el.querySelector('mjx-container') && el.tagName !== 'MJX-CONTAINER')
      out.unrendered.push(el.textContent.trim().slice(0, 80));
  }
  for (const el of document.querySelectorAll('mjx-merror')) {
    out.mathErrors.push((el.getAttribute('data-mjx-error') || el.textContent || '').slice(0, 120));
  }
  for (const a of document.querySelectorAll('a[href]')) out.links.push(a.href);
  for (const img of document.querySelectorAll('img')) {
    out.images.push({src: img.currentSrc || img.src, ok: img.complete && img.naturalWidth > 0});
  }
  for (const cell of document.querySelectorAll('div.cell')) {
    if (cell.parentElement.closest('div.cell')) continue;
    const output = cell.querySelector(':scope > .cell_output');
    const text = output ? output.innerText.trim() : '';
    const media = output ? output.querySelectorAll('img, svg, table, iframe, canvas').length : 0;
    out.cells.push({
      output: !!output && (text.length > 0 || media > 0),
      error: !!(output && output.querySelector('.traceback, .output.error, .highlight-ipythontb')),
      head: (cell.querySelector('.cell_input pre') || {innerText: ''}).innerText.slice(0, 60),
    });
  }
  return out;
}
"""
_PAGE_JS = _PAGE_JS.replace("@DOLLAR_PAIR@", DOLLAR_PAIR).replace("@TEX_INSIDE@", TEX_INSIDE)

_OPEN_TOGGLES_JS = """
() => {
  for (const d of document.querySelectorAll('details')) d.open = true;
  for (const b of document.querySelectorAll('button.toggle-button')) {
    if (b.getAttribute('aria-expanded') !== 'true') b.click();
  }
  for (const el of document.querySelectorAll('.toggle-hidden')) el.classList.remove('toggle-hidden');
}
"""

_WIDTH_JS = r"""
() => {
  const col = document.querySelector('article.bd-article') || document.querySelector('[role=main]')
    || document.body;
  const c = col.getBoundingClientRect();
  const left = c.left - 1, right = c.right + 1;
  const scrolls = el => ['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(el).overflowX);
  const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).slice(0, 2).join('.') : '');
  const wide = [], offenders = new Set();
  for (const el of col.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.left >= left && r.right <= right) continue;
    let p = el.parentElement, boxed = false;
    while (p && p !== col) {
      if (scrolls(p)) { const q = p.getBoundingClientRect(); if (q.left >= left && q.right <= right) { boxed = true; break; } }
      p = p.parentElement;
    }
    if (boxed) continue;
    offenders.add(el);
    if (el.parentElement && offenders.has(el.parentElement)) continue;
    wide.push(`${describe(el)} is ${Math.round(r.width)} px wide, the column ${Math.round(c.width)} px`
      + ` (${(el.innerText || '').trim().split('\n')[0].slice(0, 50)})`);
  }
  const page = document.documentElement.scrollWidth - window.innerWidth;
  if (page > 1) wide.push(`the page scrolls sideways by ${page} px`);
  const scrolling = [], cut = [];
  const longest = pre => pre.innerText.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '');
  for (const pre of col.querySelectorAll('div.cell_input pre')) {
    if (pre.scrollWidth > pre.clientWidth + 1) {
      const long = longest(pre);
      scrolling.push(`${long.length} characters: ${long.trim().slice(0, 60)}`);
    }
  }
  // printed output and listings: a line past the box's right edge is cut (or hidden
  // behind a sideways scroll); the stylesheet wraps them
  for (const pre of col.querySelectorAll('pre')) {
    if (pre.closest('div.cell_input') || pre.clientWidth === 0) continue;
    if (pre.scrollWidth > pre.clientWidth + 1) {
      const long = longest(pre);
      const where = pre.closest('div.cell_output') ? 'output' : 'listing';
      cut.push(`${where} line of ${long.length} characters: ${long.trim().slice(0, 60)}`);
    }
  }
  return {wide, scrolling, cut};
}
"""

_COPY_TARGETS_JS = """
() => {
  const cells = [...document.querySelectorAll('div.cell_input div.highlight')]
    .filter(h => h.querySelector('pre') && h.querySelector('button.copybtn'));
  const picks = cells.length > 1 ? [0, cells.length - 1] : cells.length ? [0] : [];
  return picks.map(i => ({i, code: cells[i].querySelector('pre').innerText}));
}
"""

_COPY_CLICK_JS = """
(i) => {
  const cells = [...document.querySelectorAll('div.cell_input div.highlight')]
    .filter(h => h.querySelector('pre') && h.querySelector('button.copybtn'));
  cells[i].querySelector('button.copybtn').click();
}
"""

_SEARCH_JS = """
() => [...document.querySelectorAll('#search-results li a, ul.search li a')]
  .map(a => a.href).filter((v, i, all) => all.indexOf(v) === i)
"""


# ----------------------------------------------------------------------------- the check


def _norm_code(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def check_site(
    root: str | Path,
    *,
    pages: Sequence[str] | None = None,
    notebooks: str | Path | None = None,
    screenshots_to: str | Path | None = None,
    screenshot_pages: Sequence[str] = DEFAULT_SCREENSHOTS,
    search_term: str | None = DEFAULT_SEARCH_TERM,
    chromium: str | Path = CHROMIUM,
    timeout_s: float = 60.0,
) -> SiteReport:
    """Load every page of the built site in headless Chromium and check what a reader sees.

    Parameters
    ----------
    root
        The built HTML folder (``docs/_build/html``).
    pages
        Pages to check, relative to ``root``; default: :func:`list_pages`.
    notebooks
        MyST-NB's executed notebooks (default: ``jupyter_execute`` beside ``root``, if
        present); used to know which cells must show output.
    screenshots_to
        Folder for PNG screenshots of ``screenshot_pages`` (those that exist; when none
        of them does, the first three pages checked).
    search_term
        A word of the book that ``search.html`` must find (None skips the search check).
    chromium
        The Chromium executable (Debian's, installed with ``apt-get install chromium``).
    timeout_s
        Time allowed for one page to load and settle.

    Returns
    -------
    SiteReport
        Pages checked, findings, wall time and screenshots written.
    """
    root = Path(root)
    all_pages = list_pages(root)
    pages = list(pages) if pages is not None else all_pages
    if not pages:
        raise ValueError(f"expected HTML pages under {str(root)!r}, found none")
    if not Path(chromium).is_file():
        raise FileNotFoundError(
            f"Chromium not found at {str(chromium)!r}: install Debian's package with "
            "'apt-get update && apt-get install -y chromium'"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the site check needs Playwright's Python package: pip install 'backprop_book[site]'"
        ) from exc
    if notebooks is None and (root.parent / "jupyter_execute").is_dir():
        notebooks = root.parent / "jupyter_execute"
    nb_dir = Path(notebooks) if notebooks is not None else None
    shots = [p for p in screenshot_pages if p in pages] or pages[:3]
    shot_dir = Path(screenshots_to) if screenshots_to is not None else None

    start = time.perf_counter()
    findings: list[Finding] = []
    notes: list[Finding] = []
    written: list[str] = []
    anchors = _Anchors(root)
    external_links: set[str] = set()
    copy_checks = 0
    timeout_ms = timeout_s * 1000

    with serve(root) as base, tempfile.TemporaryDirectory() as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=str(chromium),
            headless=True,
            args=list(CHROMIUM_FLAGS),
            viewport=VIEWPORT,
        )
        try:
            context.grant_permissions(
                ["clipboard-read", "clipboard-write"], origin=base.rstrip("/")
            )
            page = context.pages[0] if context.pages else context.new_page()
            current: dict[str, list[Finding]] = {"log": []}
            name = {"page": ""}

            def note(kind: str, detail: str) -> None:
                current["log"].append(Finding(name["page"], kind, detail))

            def on_route(route: Any) -> None:
                url = route.request.url
                if url.startswith(base) or url.startswith("data:") or url.startswith("blob:"):
                    route.continue_()
                else:
                    note("external", f"request to {url} refused (the book must work offline)")
                    route.abort("blockedbyclient")

            def on_console(msg: Any) -> None:
                if msg.type == "error":
                    text = msg.text
                    if "ERR_BLOCKED_BY_CLIENT" in text:  # an external request, noted once
                        return
                    note("console-error", text[:200])

            def on_failed(request: Any) -> None:
                if request.url.startswith(base):
                    note("failed-request", f"{request.url[len(base) :]}: {request.failure}")

            def on_response(response: Any) -> None:
                if response.status >= 400:
                    note("failed-request", f"{response.url[len(base) :]}: HTTP {response.status}")

            page.route("**/*", on_route)
            page.on("console", on_console)
            page.on("pageerror", lambda exc: note("console-error", f"uncaught: {exc}"[:200]))
            page.on("requestfailed", on_failed)
            page.on("response", on_response)

            for rel in pages:
                name["page"] = rel
                current["log"] = []
                html_text = (root / rel).read_text(encoding="utf-8", errors="replace")
                current["log"].extend(check_html(html_text, rel, root))
                try:
                    page.goto(base + rel, wait_until="load", timeout=timeout_ms)
                    page.evaluate(_SETTLE_JS)
                except Exception as exc:  # a page that cannot load is a finding, not a crash
                    note("load", str(exc).splitlines()[0][:200])
                    findings.extend(current["log"])
                    continue
                data = page.evaluate(_PAGE_JS)
                for text in data["rawTex"]:
                    note("raw-tex", text)
                for text in data["unrendered"]:
                    note("raw-tex", f"formula not rendered: {text}")
                for text in data["mathErrors"]:
                    note("math-error", text)
                _check_links(root, base, rel, data["links"], anchors, external_links, note)
                for img in data["images"]:
                    if not img["ok"]:
                        note("broken-image", img["src"].removeprefix(base))
                _check_cells(nb_dir, rel, data["cells"], note)
                if shot_dir is not None and rel in shots:
                    shot_dir.mkdir(parents=True, exist_ok=True)
                    target = shot_dir / (rel.replace("/", "_").removesuffix(".html") + ".png")
                    page.screenshot(path=str(target), full_page=False)
                    written.append(str(target))
                # a reader opens a hidden solution before copying from it
                page.evaluate(_OPEN_TOGGLES_JS)
                copy_checks += _check_copy(page, note)
                width = page.evaluate(_WIDTH_JS)
                for text in width["wide"]:
                    note("too-wide", text)
                for text in width["scrolling"]:
                    note("code-scrolls", text)
                for text in width["cut"]:
                    note("cut-off", text)
                page.wait_for_timeout(50)  # late console messages and requests
                for f in current["log"]:
                    (notes if f.kind in NOTE_KINDS else findings).append(f)

            if search_term is not None and "search.html" in all_pages:
                name["page"] = "search.html"
                current["log"] = []
                _check_search(page, base, root, search_term, timeout_ms, note)
                findings.extend(current["log"])
        finally:
            context.close()

    return SiteReport(
        pages=pages,
        findings=findings,
        seconds=time.perf_counter() - start,
        screenshots=written,
        notes=notes,
        external_links=len(external_links),
        copy_checks=copy_checks,
    )


def _check_links(
    root: Path,
    base: str,
    rel: str,
    links: list[str],
    anchors: _Anchors,
    external: set[str],
    note: Any,
) -> None:
    seen: set[str] = set()
    for url in links:
        if url in seen or url.startswith(("mailto:", "javascript:", "tel:", "data:")):
            continue
        seen.add(url)
        target = _local_file(root, base, url)
        if target is None:
            external.add(url)
            continue
        path, fragment = target
        shown = url.removeprefix(base)
        if not path.is_file():
            note("broken-link", f"{shown} (no such file)")
        elif fragment and path.suffix == ".html" and fragment not in anchors.of(path):
            if _is_viewcode(rel) or _is_viewcode(path.relative_to(root).as_posix()):
                # sphinx.ext.viewcode pairs source listings and API entries by the
                # object's own module, and misses re-exported names and dataclass
                # fields: the page is there, the anchor is not.  Listed, not failed.
                note("viewcode-anchor", f"{shown} (no anchor #{fragment})")
            else:
                note("broken-link", f"{shown} (no anchor #{fragment})")


def _is_viewcode(rel: str) -> bool:
    """Whether ``rel`` is a source listing written by ``sphinx.ext.viewcode``.

    >>> _is_viewcode("_modules/backprop_book/metrics.html"), _is_viewcode("api/core.html")
    (True, False)
    """
    return rel.startswith("_modules/")


def _check_cells(nb_dir: Path | None, rel: str, cells: list[dict[str, Any]], note: Any) -> None:
    for i, cell in enumerate(cells):
        if cell["error"]:
            note("cell-error", f"cell {i + 1} shows a traceback ({cell['head'].strip()[:40]})")
    expected = _expected_outputs(nb_dir, rel)
    if expected is None:
        return
    if len(expected) != len(cells):
        note(
            "missing-output",
            f"the page shows {len(cells)} code cells, the executed notebook has {len(expected)}",
        )
        return
    for i, (want, cell) in enumerate(zip(expected, cells, strict=True)):
        if want and not cell["output"]:
            note(
                "missing-output",
                f"cell {i + 1} ran with output but shows none ({cell['head'].strip()[:40]})",
            )


def _check_copy(page: Any, note: Any) -> int:
    targets = page.evaluate(_COPY_TARGETS_JS)
    for t in targets:
        page.evaluate("() => navigator.clipboard.writeText('')")
        page.evaluate(_COPY_CLICK_JS, t["i"])
        copied = ""
        for _ in range(20):
            copied = page.evaluate("() => navigator.clipboard.readText()")
            if copied:
                break
            page.wait_for_timeout(25)
        if _norm_code(copied) != _norm_code(t["code"]):
            note(
                "copy-button",
                f"code cell {t['i'] + 1}: copied {copied[:40]!r}, the cell holds {t['code'][:40]!r}",
            )
    return len(targets)


def _check_search(
    page: Any, base: str, root: Path, term: str, timeout_ms: float, note: Any
) -> None:
    url = f"{base}search.html?q={urllib.parse.quote(term)}"
    try:
        page.goto(url, wait_until="load", timeout=timeout_ms)
        page.wait_for_selector("#search-results li, ul.search li", timeout=timeout_ms)
    except Exception as exc:
        note("search", f"no results for {term!r} ({str(exc).splitlines()[0][:120]})")
        return
    hits = page.evaluate(_SEARCH_JS)
    found = False
    for hit in hits:
        target = _local_file(root, base, hit)
        if target is None or not target[0].is_file():
            note("search", f"result {hit} is not a page of the book")
            continue
        text = target[0].read_text(encoding="utf-8", errors="replace")
        found = found or term.lower() in text.lower()
    if not found:
        note("search", f"none of the {len(hits)} results for {term!r} contains it")


# ----------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: check a built site, print the summary, exit 1 on any finding."""
    parser = argparse.ArgumentParser(
        prog="python -m backprop_book.book.sitecheck", description=__doc__.split("\n")[0]
    )
    parser.add_argument("html", help="the built HTML folder, e.g. docs/_build/html")
    parser.add_argument("--screenshots", help="folder for three PNG screenshots")
    parser.add_argument("--json", help="write the report as JSON to this file")
    parser.add_argument("--search-term", default=DEFAULT_SEARCH_TERM)
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--page", action="append", help="check only this page (repeatable)")
    parser.add_argument(
        "--static", action="store_true", help="only the checks that need no browser (fast)"
    )
    args = parser.parse_args(argv)
    try:
        if args.static:
            report = check_static(args.html, pages=args.page)
        else:
            report = check_site(
                args.html,
                pages=args.page,
                screenshots_to=args.screenshots,
                search_term=args.search_term,
                chromium=args.chromium,
            )
    except (ValueError, FileNotFoundError, ImportError) as exc:
        print(f"error: {exc}")
        return 2
    if args.json:
        from backprop_book._io import atomic_write_text

        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.json, report.to_json())
    print(report.summary())
    for shot in report.screenshots:
        print(f"screenshot: {shot}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
