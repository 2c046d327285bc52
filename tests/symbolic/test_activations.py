"""Report D: Q1 (linear activations collapse), Q2 (worked pass), Q5, Q6."""

from __future__ import annotations

import math

import matplotlib
import pytest
import sympy as sp

from backprop_book.symbolic.activations import (
    linear_collapse,
    linear_collapse_jacobian,
    linear_collapse_step,
    plot_tanh_sigmoid,
    report_d_q2,
    report_d_q2_forward,
    report_d_q2_full_inputs,
    sigmoid,
    sigmoid_unit_gradient,
    tanh_identities,
)
from backprop_book.symbolic.checker import check_gradient

matplotlib.use("Agg")
pytestmark = pytest.mark.part1


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_linear_collapse_any_depth(depth: int) -> None:
    lc = linear_collapse(depth)
    a = sp.Symbol("a")
    assert lc.A.args[0] == a**depth
    Ws = [w.name for w in lc.A.atoms(sp.MatrixSymbol)]
    assert sorted(Ws) == [f"W_{l}" for l in range(1, depth + 1)]
    assert not any(t.name == "x" for t in lc.b_eff.atoms(sp.MatrixSymbol))
    # output - A x - b' is zero
    x = next(t for t in lc.output.atoms(sp.MatrixSymbol) if t.name == "x")
    rest = (lc.output - lc.A * x - lc.b_eff).expand()
    assert rest == 0 or rest.is_ZeroMatrix


def test_linear_collapse_errors_and_latex() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        linear_collapse(0)
    assert linear_collapse(3).latex() == "h_{3} = a^{3} W_{3} W_{2} W_{1} x + b'"


def test_linear_collapse_induction_and_jacobian() -> None:
    assert linear_collapse_step()
    v = linear_collapse_jacobian((2, 3, 2, 1))
    assert v.correct and v.method == "symbolic"


def test_q2_reproduces_the_report() -> None:
    q2 = report_d_q2()
    assert q2.value == pytest.approx(6.2158e-4, abs=1e-8)
    assert q2.value == pytest.approx(6.215862399e-4, rel=1e-9)
    product = math.prod(q2.factors.values())
    assert product == pytest.approx(q2.value, rel=1e-12)
    assert q2.implied["z3 = logit(y_hat)"] == pytest.approx(0.599098, abs=2e-6)
    assert q2.implied["s2 = sigma(z2)"] == pytest.approx(0.8072127, abs=1e-7)
    assert q2.implied["w5*s1"] == pytest.approx(0.76054, abs=1e-5)
    # the report's last digit: sigma'(z2) rounded to 5 decimals as a hand calculation does
    rounded = -2 * (0.5 - 0.64545) * 0.64545 * 0.35455 * -0.2 * 0.15562 * -0.3
    assert f"{rounded:.4e}" == "6.2158e-04"


def test_q2_full_inputs_are_consistent() -> None:
    values = report_d_q2_full_inputs()
    y_hat, grad = report_d_q2_forward(values)
    assert y_hat == pytest.approx(0.64545, abs=5e-6)
    assert grad == pytest.approx(6.2158e-4, abs=1e-8)
    assert values["w3"] * values["x3"] + values["w4"] * values["x4"] == pytest.approx(1.432)
    with pytest.raises(ValueError, match="outside"):
        report_d_q2_full_inputs(w5=0.5)


def test_q2_other_values_change_the_answer() -> None:
    assert report_d_q2(w6=0.2).value == pytest.approx(-report_d_q2().value)
    assert report_d_q2(y=0.64545).value == 0


def test_q5_gradient_of_sigmoid_unit() -> None:
    grad, verdict = sigmoid_unit_gradient(3)
    assert verdict.correct
    assert grad.shape == (3, 1)
    # the claim without the g(1-g) factor is wrong
    w = sp.Matrix(sp.symbols("w0:2", real=True))
    x = sp.Matrix(sp.symbols("x0:2", real=True))
    g = sigmoid((w.T * x)[0, 0])
    assert not check_gradient(g, x, w).correct


def test_q6_identities_and_a_wrong_factor() -> None:
    assert all(v.correct for v in tanh_identities().values())
    t = sp.Symbol("t", real=True)
    s2 = sigmoid(2 * t)
    assert not check_gradient(sp.tanh(t), t, 2 * s2 * (1 - s2)).correct
    assert sp.diff(sp.tanh(t), t).subs(t, 0) == 1
    assert sp.diff(sigmoid(t), t).subs(t, 0) == sp.Rational(1, 4)


def test_plot() -> None:
    import matplotlib.pyplot as plt

    fig = plot_tanh_sigmoid()
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) == 401]
    assert len(lines) == 4
    # the dashed tanh' curve peaks at 1, sigma' at 1/4
    peaks = sorted(
        round(float(max(ln.get_ydata())), 3) for ln in lines if ln.get_linestyle() == "--"
    )
    assert peaks == [0.25, 1.0]
    fig2, ax2 = plt.subplots()
    assert plot_tanh_sigmoid(ax2) is fig2
    plt.close("all")
