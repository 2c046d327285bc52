"""Claims and verdicts as table rows and as an HTML table that fits a book's column.

Part V's chapter and report chapters render their tables with :func:`html_table`;
the CLI lists the same rows as text or JSON.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from backprop_book.reports.claims import Claim

__all__ = ["claim_row", "html_table", "math_markup", "summary_rows"]


def claim_row(c: Claim, *, link_from: str | None = None) -> dict[str, Any]:
    """One claim and its verdict as a row: id, report, item, quote, published, ours, verdict.

    With ``link_from`` (the docname of the page that shows the table, e.g.
    ``"part5/index"``) the row's ``chapter`` is a relative link to the chapter that
    explains the claim.

    >>> from backprop_book.reports import claim
    >>> row = claim_row(claim("D.q4.c3"), link_from="part5/index")
    >>> row["published"], row["verdict"], row["chapter"]
    ('2496', 'report wrong', '../part1/slips.html')
    """
    v = c.verdict()
    row: dict[str, Any] = {
        "id": c.id,
        "report": c.report,
        "item": c.item,
        "quote": c.quote,
        "published": c.published,
        "ours": v.ours,
        "verdict": v.label,
        "kind": v.kind,
        "explanation": v.explanation,
        "experiment": c.experiment or c.check,
        "command": v.command or "",
        "chapter": c.chapter,
    }
    if link_from is not None and c.chapter:
        depth = link_from.count("/")
        row["chapter"] = "../" * depth + f"{c.chapter}.html"
    return row


def summary_rows(counts: Mapping[str, int]) -> list[dict[str, Any]]:
    """Verdict counts as rows for :func:`html_table`, with a total.

    >>> summary_rows({"reproduced": 2, "pending": 1})[-1]
    {'verdict': 'total', 'claims': 3}
    """
    rows = [{"verdict": k.replace("_", " "), "claims": n} for k, n in counts.items()]
    return [*rows, {"verdict": "total", "claims": sum(counts.values())}]


#: A formula as the reports write it in running text: ``$$...$$`` or ``$...$`` (one line).
_TEX = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$")
#: A TeX command (a backslash and two or more letters) in text without dollars.
_BARE_TEX = re.compile(r"(?<![\\\w])\\[A-Za-z]{2,}")


def math_markup(text: str) -> str:
    """Report text as HTML, its ``$$...$$`` and ``$...$`` formulas typeset as inline math.

    The text is HTML-escaped and each formula becomes the span that Sphinx writes for
    inline math, which MathJax typesets; the result goes into an HTML table or a
    Markdown output as raw HTML.  Without it, a quoted formula would reach the page
    as raw TeX.

    >>> print(math_markup("D: $$F = 5$$, so $a<b$."))
    D: <span class="math notranslate nohighlight">\\(F = 5\\)</span>, so <span class="math notranslate nohighlight">\\(a&lt;b\\)</span>.

    A text without dollars that holds TeX commands is a formula quoted bare, and is
    typeset whole:

    >>> print(math_markup(r"\\frac{a}{b} = c"))
    <span class="math notranslate nohighlight">\\(\\frac{a}{b} = c\\)</span>
    """

    def typeset(tex: str) -> str:
        return f'<span class="math notranslate nohighlight">\\({tex.strip()}\\)</span>'

    if "$" not in text and _BARE_TEX.search(text):
        # a formula quoted without its dollars (report A's "\\frac{\\partial L}..."):
        # the whole text is the formula
        return typeset(html.escape(text))
    return _TEX.sub(lambda m: typeset(m.group(1) or m.group(2)), html.escape(text))


def html_table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    *,
    headers: Mapping[str, str] | None = None,
    links: Mapping[str, str] | None = None,
) -> str:
    """An HTML table of ``rows`` (escaped), wrapping its text to fit the page column.

    Formulas written ``$$...$$`` or ``$...$`` in a cell are typeset (:func:`math_markup`).

    ``links`` maps a column to the column holding its target, e.g.
    ``{"verdict": "chapter"}`` makes each verdict a link to its chapter.  The table
    sits in a horizontally scrolling box, so a narrow screen scrolls it rather than
    the page.

    >>> t = html_table([{"a": "x<y", "b": 1, "to": "p.html"}], ["a", "b"], links={"b": "to"})
    >>> "x&lt;y</td>" in t, '<a href="p.html">1</a>' in t, t.count("<tr>")
    (True, True, 2)
    """
    headers = dict(headers or {})
    links = dict(links or {})
    th = 'style="text-align: left; padding: 2px 6px; border-bottom: 1px solid #999;"'
    td = 'style="padding: 2px 6px; vertical-align: top; overflow-wrap: anywhere;"'
    head = "".join(f"<th {th}>{html.escape(headers.get(c, c))}</th>" for c in columns)
    body = []
    for r in rows:
        cells = []
        for c in columns:
            text = math_markup(str(r.get(c, "")))
            target = r.get(links[c], "") if c in links else ""
            if target:
                text = f'<a href="{html.escape(str(target), quote=True)}">{text}</a>'
            cells.append(f"<td {td}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<div class="claims-table" style="overflow-x: auto;"><table style="width: 100%; '
        'table-layout: auto; font-size: 0.8em; border-collapse: collapse;">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
