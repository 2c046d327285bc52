"""Report text reaches the page with its formulas typeset, never as raw TeX."""

from __future__ import annotations

from backprop_book.book.sitecheck import check_html
from backprop_book.reports import claim
from backprop_book.reports.table import claim_row, html_table, math_markup


def test_a_formula_quoted_without_dollars_is_typeset_whole() -> None:
    quote = claim("A.q1.backprop").quote
    assert "$" not in quote and "\\frac" in quote  # A wrote it bare
    out = math_markup(quote)
    assert out.startswith('<span class="math notranslate nohighlight">\\(\\frac{')
    assert out.endswith("\\)</span>") and out.count("\\(") == 1


def test_prose_is_escaped_and_left_as_text() -> None:
    assert math_markup("a <b> & c, 6@5x5") == "a &lt;b&gt; &amp; c, 6@5x5"
    assert math_markup("costs $5") == "costs $5"


def test_no_table_of_part_v_holds_tex_outside_math() -> None:
    from backprop_book.reports import all_claims

    rows = [claim_row(c) for c in all_claims()]
    table = html_table(rows, ["item", "quote", "published", "ours", "verdict", "explanation"])
    raw = [f.detail for f in check_html(table, "part5/index.html") if f.kind == "raw-tex"]
    assert raw == []
