"""A gradient checker that an instructor can point at a claimed derivative.

Three questions can be put to it:

* :func:`check_gradient` -- is ``claimed`` the derivative of ``f`` with respect to
  ``wrt``?  ``f`` may be a scalar, an elementwise (matrix-valued) function of a
  scalar, or a vector function of a vector (then the claim is the Jacobian);
  ``wrt`` may be a scalar, a vector or a matrix.
* :func:`check_backward_rule` -- the form used by autograd libraries: given the
  upstream gradient :math:`G = \\partial L / \\partial C` of :math:`C = F(X, Y)`,
  is ``claimed`` equal to :math:`\\bar X_{ij} = \\sum_{ab} G_{ab}\\,
  \\partial C_{ab} / \\partial X_{ij}`?
* :func:`check_equal` -- is an identity true (``tanh(x) = 2 sigma(2x) - 1``)?

Each answer is a :class:`Verdict`, decided soundly under a time budget (see
"Budgets" below):

1. The difference (truth minus claim) is simplified.  If it is zero the claim is
   correct (``method="symbolic"``).  If sympy shows it non-zero (its ``is_zero``
   is False, or it is a non-zero constant) the claim is wrong.
2. Otherwise points are drawn inside the function's domain: random ones (points
   where the function or the true derivative is undefined, infinite or complex --
   ``log`` of a negative number, division by zero -- are rejected and redrawn) and
   *scale points*, where one symbol takes a magnitude written in the expressions
   (:math:`10^6` in :math:`e^{-(x - 10^6)^2}`) or :math:`10^{\\pm 3}`, so that a term
   tiny at ordinary points shows.  At the first random points, taken as exact
   rationals, sympy evaluates the difference to 30 guaranteed digits: a non-zero
   value makes the claim wrong (still ``"symbolic"``).
3. Only when sympy can neither prove nor refute the claim does the numeric test
   decide (``method="numeric"``): the claim is correct when both sides agree to the
   relative tolerance ``tol`` at every point.

Floating-point numbers written in a claim are approximations, so a difference made
of them is judged at ``tol``: ``0.5 * x`` is ``x / 2``, but a term ``1e-12 * x`` is
too small to count; write ``sp.Rational(1, 10**12) * x`` for an exact term.
``simplify=False`` skips steps 1 and 2 (for expressions too large to simplify).
A wrong claim comes back with a :class:`Counterexample`: the point, the entry, both
values and, when sympy computed it, the exact difference.

Matrices are sympy matrices of symbols (:func:`matrix_symbols`) or
:class:`sympy.MatrixSymbol` objects of concrete size, which are made explicit
before differentiating.
Budgets: every check ends with an answer.  It runs in a child process under a
budget of processor seconds (``budget=``, default :data:`DEFAULT_BUDGET`) and is
killed when the budget runs out: one long arithmetic call inside sympy (a
:math:`6 \\times 6` determinant's gradient, a sum of thousands of terms) cannot
be interrupted any other way.  The verdict is then *undecided* (``outcome ==
"undecided"``, ``undecided="time"``), as it is for objects the checker cannot
evaluate (``"unsupported"``: an unevaluated ``Integral``), values beyond floating
point (``"size"``) and functions undefined everywhere (``"undefined"``:
``1/(x - x)`` is ``zoo``).  A claim written with ``nan``, ``zoo`` or ``oo`` is
wrong.  :func:`check_many` grades a class's answers on all cores, one verdict
each, in order.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Literal

import mpmath
import numpy as np
import pebble
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

__all__ = [
    "DEFAULT_BUDGET",
    "Counterexample",
    "Verdict",
    "check_backward_rule",
    "check_equal",
    "check_gradient",
    "check_many",
    "matrix_symbols",
    "upstream_like",
]

Method = Literal["symbolic", "numeric", "none"]
#: Why a check ended undecided: out of time, too big, an object it cannot evaluate, a
#: function undefined everywhere, or (in :func:`check_many`) a claim the checker refused.
Undecided = Literal["time", "size", "unsupported", "undefined", "input"]

#: Seconds one check may take by default before it ends undecided (``budget=None``: no limit).
DEFAULT_BUDGET = 10.0

#: Largest expression (in sympy operations) that the checker tries to simplify;
#: bigger differences go straight to numeric evaluation.
_MAX_SIMPLIFY_OPS = 600
#: Guaranteed digits of the exact evaluation of a difference at a rational point.
_EXACT_DIGITS = 30
#: Working digits of the numeric evaluation (a mismatch is confirmed at twice as many).
_NUMERIC_DIGITS = 30
#: Random points at which the difference is also evaluated exactly.
_MAX_EXACT_POINTS = 3
#: Largest integer exponent of a symbolic power evaluated at points (larger ones: see
#: :func:`_decide_huge_power`).
_MAX_EXPONENT = 10_000
#: Scale points added to the random ones (one coordinate set to a large or small magnitude).
_MAX_SCALE_POINTS = 12


def matrix_symbols(name: str, rows: int, cols: int, **assumptions: Any) -> sp.ImmutableMatrix:
    """A ``rows x cols`` matrix of fresh scalar symbols ``name_ij``.

    The entry in row ``i`` and column ``j`` is the symbol :math:`\\mathrm{name}_{ij}`
    (``name_i_j`` when a size reaches 10).  The symbols are real unless told
    otherwise; assumptions such as ``positive=True`` are passed on to every symbol.

    >>> matrix_symbols("W", 2, 3)
    Matrix([
    [W_00, W_01, W_02],
    [W_10, W_11, W_12]])
    """
    if rows < 1 or cols < 1:
        raise _InputValueError(
            f"expected a positive number of rows and columns, got {rows} x {cols}"
        )
    assumptions.setdefault("real", True)
    sep = "_" if max(rows, cols) > 10 else ""
    return sp.ImmutableMatrix(
        rows, cols, lambda i, j: sp.Symbol(f"{name}_{i}{sep}{j}", **assumptions)
    )


def upstream_like(output: Any, name: str = "G") -> sp.Expr | sp.ImmutableMatrix:
    """An upstream-gradient placeholder shaped like ``output``.

    A scalar output gets one symbol ``G``; a matrix output gets
    :func:`matrix_symbols` of the same shape.

    >>> upstream_like(sp.Matrix([[1, 2, 3]]))
    Matrix([[G_00, G_01, G_02]])
    >>> upstream_like(sp.Symbol("x") ** 2)
    G
    """
    shape = _shape(_explicit(output, {}))
    if shape == ():
        return sp.Symbol(name)
    return matrix_symbols(name, *shape)


# ----------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class Counterexample:
    """A point where a claim and the truth differ.

    Attributes
    ----------
    point
        Symbol name -> value of every free symbol at the point.
    entry
        Index of the differing entry (``()`` for a scalar).
    expected
        The true value there.
    claimed
        The claim's value there (``None`` if the claim is undefined there).
    difference
        The exact difference claim minus truth at the point, as text, when sympy
        evaluated it (it can be far below what a float shows:
        ``"-2.262e-434294192374"``); ``None`` otherwise.

    >>> print(Counterexample({"x": 2.0}, (), expected=12.0, claimed=8.0))
    at x=2: true value 12, claimed 8
    >>> print(Counterexample({"x": 0.0}, (), expected=0.0, claimed=0.0, difference="3.7e-44"))
    at x=0: true value 0, claimed 0 (exact difference 3.7e-44)
    """

    point: dict[str, float]
    entry: tuple[int, ...]
    expected: float
    claimed: float | None
    difference: str | None = None

    def __str__(self) -> str:
        at = ", ".join(f"{k}={v:.6g}" for k, v in self.point.items()) or "(no free symbols)"
        where = f" entry {self.entry}" if self.entry else ""
        got = "undefined" if self.claimed is None else f"{self.claimed:.10g}"
        text = f"at {at}:{where} true value {self.expected:.10g}, claimed {got}"
        if self.difference is not None:
            text += f" (exact difference {self.difference})"
        return text


@dataclass(frozen=True)
class Verdict:
    """The checker's answer.

    Parameters
    ----------
    correct
        Whether the claim holds.
    method
        ``"symbolic"`` when sympy decided (the difference simplified to zero, sympy
        showed it non-zero, or it is non-zero at an exact rational point),
        ``"numeric"`` when sympy could not decide and the verdict rests on
        floating-point evaluation at points inside the domain.
    reason
        One human-readable sentence saying why.
    counterexample
        For a wrong claim, a point with both values (``None`` for a correct one).
    points_checked
        How many points (random and scale points) were evaluated.
    truth
        The true derivative (or left-hand side) the claim was compared with,
        as sympy objects on the concrete sizes (not shown in the repr).
    undecided
        ``None`` when the checker decided; otherwise why it could not (``"time"``:
        the budget ran out, ``"size"``: the expressions are too big or too deep,
        ``"unsupported"``: an object it cannot evaluate, such as an unevaluated
        integral, ``"undefined"``: the function is undefined everywhere, ``"input"``:
        :func:`check_many` was given a claim the checker refuses).  An undecided
        verdict has ``correct=False`` and ``method="none"``.

    Notes
    -----
    A verdict is truthy exactly when the claim is correct; :attr:`outcome` names the
    three answers.

    Examples
    --------
    >>> v = check_gradient(sp.Symbol("x") ** 2, sp.Symbol("x"), 2 * sp.Symbol("x"))
    >>> bool(v), v.method
    (True, 'symbolic')
    >>> print(v)
    correct (symbolic): d f / d x: the difference simplifies to zero
    """

    correct: bool
    method: Method
    reason: str
    counterexample: Counterexample | None = None
    points_checked: int = 0
    truth: Any = field(default=None, repr=False, compare=False)
    undecided: Undecided | None = None

    def __bool__(self) -> bool:
        return self.correct

    @property
    def outcome(self) -> Literal["correct", "wrong", "undecided"]:
        """``"correct"``, ``"wrong"`` or ``"undecided"``."""
        if self.undecided is not None:
            return "undecided"
        return "correct" if self.correct else "wrong"

    def __str__(self) -> str:
        if self.undecided is not None:
            return f"UNDECIDED ({self.undecided}): {self.reason}"
        head = "correct" if self.correct else "WRONG"
        text = f"{head} ({self.method}): {self.reason}"
        if self.counterexample is not None:
            text += f"; {self.counterexample}"
        return text


# ----------------------------------------------------------------------------- budgets


class _InputValueError(ValueError):
    """A caller's mistake (a claim of the wrong shape, a bad setting): raised, never a verdict."""


class _InputTypeError(TypeError):
    """A caller's mistake of type: raised, never a verdict."""


class _Unsupported(Exception):
    """The expressions hold an object the checker cannot evaluate: the verdict is undecided."""


class _TooBig(Exception):
    """The expressions are too big to evaluate: the verdict is undecided."""


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else type(err).__name__


def _undecided(kind: Undecided, reason: str) -> Verdict:
    return Verdict(False, "none", reason, undecided=kind)


def _answer(
    check: Callable[..., Verdict],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    input_errors_as_verdicts: bool = False,
) -> Verdict:
    """Run one check here; whatever is not the caller's mistake becomes an undecided verdict."""
    try:
        return check(*args, **kwargs)
    except (_InputValueError, _InputTypeError) as err:
        if input_errors_as_verdicts:
            return _undecided("input", str(err))
        raise
    except _Unsupported as err:
        return _undecided("unsupported", str(err))
    except _TooBig as err:
        return _undecided("size", str(err))
    except (RecursionError, MemoryError) as err:
        return _undecided(
            "size",
            f"the expressions are too big or too deeply nested to evaluate "
            f"({type(err).__name__}: {_first_line(err)})",
        )
    except Exception as err:  # sympy's and mpmath's own failures on odd objects
        return _undecided(
            "unsupported",
            f"sympy cannot handle the expressions ({type(err).__name__}: {_first_line(err)})",
        )


def _answer_in_worker(
    check: Callable[..., Verdict],
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    input_errors_as_verdicts: bool = False,
) -> Verdict:
    """:func:`_answer` in a worker process of our own, where long integers may be printed."""
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)  # 10**10000 * x**2 is a valid expression
    return _answer(check, args, kwargs, input_errors_as_verdicts)


def _can_fork() -> bool:
    """Whether a check can run in a child process that is killed at the budget."""
    return hasattr(os, "fork") and "fork" in multiprocessing.get_all_start_methods()


#: A check is stopped after this many times its budget in wall-clock time, however little
#: processor time it got (a machine busy with other work slows it, a deadlock stops it).
_WALL_FACTOR = 4.0


def _cpu_seconds(pid: int) -> float | None:
    """Processor seconds a running child has used (Linux's /proc), or None where unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _validate_budget(budget: Any) -> float | None:
    if budget is None:
        return None
    if isinstance(budget, bool) or not isinstance(budget, int | float | np.integer | np.floating):
        raise TypeError(f"expected budget to be a number of seconds or None, got {budget!r}")
    b = float(budget)
    if not (math.isfinite(b) and b > 0):
        raise ValueError(f"expected budget to be a positive number of seconds, got {budget!r}")
    return b


def _out_of_time(budget: float) -> Verdict:
    return _undecided(
        "time",
        f"no answer within the budget of {budget:g} s (the expressions are too costly for "
        "sympy); simplify the claim or pass a larger budget",
    )


def _died(code: int | None) -> Verdict:
    return _undecided(
        "size",
        f"the worker process evaluating the claim died (exit code {code}); the expressions are "
        "too big to evaluate",
    )


def _bounded(
    check: Callable[..., Verdict], args: tuple[Any, ...], kwargs: Mapping[str, Any], budget: Any
) -> Verdict:
    """Run one check under ``budget`` seconds, in a forked child killed when it runs out.

    The budget counts the child's processor time where the system reports it
    (Linux), so a machine busy with other work does not turn a check that needs
    two seconds into an undecided one; the child is stopped in any case after
    :data:`_WALL_FACTOR` times the budget of wall-clock time.  The child sends its
    verdict (or the caller's input error, raised again here) back through a pipe.
    Without ``fork`` (Windows) the check runs here and the budget is not enforced.
    """
    seconds = _validate_budget(budget)
    if seconds is None or not _can_fork():
        return _answer(check, args, kwargs)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer, send, and leave without running the parent's exit code
        try:
            os.close(read_fd)
            try:
                result: tuple[str, Any] = ("ok", _answer_in_worker(check, args, kwargs))
            except BaseException as err:  # the caller's mistake, raised again in the parent
                result = ("raise", err)
            try:
                payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as err:
                reason = f"the verdict cannot be sent back ({type(err).__name__})"
                payload = pickle.dumps(("ok", _undecided("unsupported", reason)))
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
        finally:
            os._exit(0)
    os.close(write_fd)
    start = time.monotonic()
    chunks: list[bytes] = []
    timed_out = False
    try:
        while True:
            spent = _cpu_seconds(pid)
            wall = time.monotonic() - start
            if (spent if spent is not None else wall) >= seconds or wall >= _WALL_FACTOR * seconds:
                timed_out = True
                break
            ready, _, _ = select.select([read_fd], [], [], min(0.05 + 0.05 * wall, 0.5))
            if ready:
                chunk = os.read(read_fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(read_fd)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if timed_out:
        return _out_of_time(seconds)
    if not chunks:
        return _died(os.waitstatus_to_exitcode(status))
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "raise":
        raise value
    return value


def _undefined_atoms(obj: Any) -> list[str]:
    """Names of the undefined values (nan, zoo, oo) written in ``obj``."""
    found: set[str] = set()
    for _, e in _entries(obj):
        if isinstance(e, sp.Basic):
            for atom, name in ((sp.nan, "nan"), (sp.zoo, "zoo"), (sp.oo, "oo"), (-sp.oo, "-oo")):
                if e.has(atom):
                    found.add(name)
    return sorted(found)


_UNEVALUATED = (sp.Integral, sp.Sum, sp.Product, sp.Limit)


def _unevaluated(obj: Any) -> list[str]:
    """Names of the unevaluated operations (Integral, Sum, ...) in ``obj``."""
    found: set[str] = set()
    for _, e in _entries(obj):
        if isinstance(e, sp.Basic):
            found.update(type(a).__name__ for a in e.atoms(*_UNEVALUATED))
    return sorted(found)


def _screen(truth: Any, claimed: Any, must_be_defined: Sequence[Any], what: str) -> Verdict | None:
    """A verdict for claims that cannot be checked or cannot be right, before any work.

    The function must be defined somewhere: ``1/(x - x)`` is ``zoo`` everywhere, and
    its derivative is no number, so no claim about it is decided.  A claim written
    with ``nan``, ``zoo`` or ``oo`` is undefined and so wrong.  Unevaluated integrals,
    sums, products and limits are refused (call ``.doit()`` first).
    """
    bad_f = sorted({n for e in [truth, *must_be_defined] for n in _undefined_atoms(e)})
    if bad_f:
        return _undecided(
            "undefined",
            f"{what}: the function is undefined (it contains {', '.join(bad_f)}), so it has no "
            "derivative to compare with",
        )
    parts = [
        (claimed, "the claim"),
        (truth, "the function"),
        *((e, "the function") for e in must_be_defined),
    ]
    for obj, who in parts:
        ops = _unevaluated(obj)
        if ops:
            return _undecided(
                "unsupported",
                f"{what}: {who} contains an unevaluated {', '.join(ops)}; evaluate it with "
                ".doit() first",
            )
    bad_c = _undefined_atoms(claimed)
    if bad_c:
        return Verdict(
            False,
            "symbolic",
            f"{what}: the claim is undefined (it contains {', '.join(bad_c)}) while the "
            "function is defined",
        )
    return None


# ----------------------------------------------------------------------------- normalising


def _matrix_symbol_map(objs: Iterable[Any]) -> dict[sp.MatrixSymbol, sp.ImmutableMatrix]:
    found: set[sp.MatrixSymbol] = set()
    for obj in objs:
        if isinstance(obj, sp.Basic):
            found |= obj.atoms(sp.MatrixSymbol)
    out = {}
    for m in sorted(found, key=lambda s: s.name):
        rows, cols = m.shape
        if not (isinstance(rows, int | sp.Integer) and isinstance(cols, int | sp.Integer)):
            raise _InputValueError(
                f"MatrixSymbol {m.name} has symbolic shape {m.shape}; the checker needs concrete "
                "sizes (e.g. MatrixSymbol('X', 2, 3))"
            )
        out[m] = matrix_symbols(m.name, int(rows), int(cols))
    return out


def _explicit(obj: Any, msmap: Mapping[sp.MatrixSymbol, sp.ImmutableMatrix]) -> Any:
    """Scalars as sympy expressions, matrices as immutable explicit matrices."""
    if isinstance(obj, sp.MatrixBase | MatrixExpr):
        m = obj.xreplace(dict(msmap)) if msmap else obj
        if isinstance(m, MatrixExpr) and not isinstance(m, sp.MatrixBase):
            m = m.doit()
            m = m.as_explicit() if not isinstance(m, sp.MatrixBase) else m
        m = sp.ImmutableMatrix(m).applyfunc(lambda e: e.doit() if msmap else e)
        if m.shape == (1, 1) and not isinstance(obj, sp.MatrixBase | sp.MatrixSymbol):
            return m[0, 0]
        return m
    if isinstance(obj, int | float):
        return sp.sympify(obj)
    if isinstance(obj, sp.Basic):
        return obj.subs(dict(msmap)).doit() if msmap else obj
    raise _InputTypeError(
        f"expected a sympy expression, matrix or MatrixSymbol, got {type(obj).__name__}"
    )


def _real_map(objs: Iterable[Any]) -> dict[sp.Symbol, sp.Symbol]:
    """Real copies of the symbols whose realness is unknown (derivatives of real functions)."""
    out: dict[sp.Symbol, sp.Symbol] = {}
    for obj in objs:
        for sym in _free(obj):
            if isinstance(sym, sp.Symbol) and sym.is_real is None and not isinstance(sym, sp.Dummy):
                out[sym] = sp.Symbol(sym.name, real=True)
    return out


def _xr(obj: Any, reps: Mapping[sp.Symbol, sp.Symbol]) -> Any:
    return obj.xreplace(dict(reps)) if reps and isinstance(obj, sp.Basic) else obj


def _shape(obj: Any) -> tuple[int, ...]:
    return tuple(obj.shape) if isinstance(obj, sp.MatrixBase) else ()


def _describe_shape(shape: tuple[int, ...]) -> str:
    return "a scalar" if shape == () else f"shape {shape}"


def _entries(obj: Any) -> list[tuple[tuple[int, ...], sp.Expr]]:
    if isinstance(obj, sp.MatrixBase):
        return [((i, j), obj[i, j]) for i in range(obj.rows) for j in range(obj.cols)]
    return [((), obj)]


def _free(obj: Any) -> set[sp.Symbol]:
    return set(obj.free_symbols) if isinstance(obj, sp.Basic) else set()


def _variable_symbols(wrt: Any) -> list[sp.Symbol]:
    if isinstance(wrt, sp.MatrixBase):
        syms = list(wrt)
    else:
        syms = [wrt]
    for s in syms:
        if not isinstance(s, sp.Symbol):
            raise _InputTypeError(
                f"expected the variable to be a symbol or a matrix of symbols, got {s!r}"
            )
    return syms


def _name_of(wrt: Any, default: str) -> str:
    """A readable name for a variable: the symbol's name, or the stem of a matrix's entries."""
    if isinstance(wrt, sp.Symbol | sp.MatrixSymbol):
        return str(wrt.name)
    if isinstance(wrt, sp.MatrixBase) and len(wrt) and isinstance(wrt[0], sp.Symbol):
        stems = {str(e.name).split("_", 1)[0] for e in wrt if isinstance(e, sp.Symbol)}
        if len(stems) == 1:
            return stems.pop()
    return default


def _true_derivative(f: Any, wrt: Any) -> Any:
    fshape, vshape = _shape(f), _shape(wrt)
    if fshape == () or (fshape == (1, 1) and vshape != () and 1 not in vshape):
        scalar = f if fshape == () else f[0, 0]
        if vshape == ():
            return sp.diff(scalar, wrt)
        return sp.ImmutableMatrix(wrt.rows, wrt.cols, lambda i, j: sp.diff(scalar, wrt[i, j]))
    if vshape == ():
        return f.applyfunc(lambda e: sp.diff(e, wrt))
    if 1 in fshape and 1 in vshape:
        fv = list(f)
        xv = list(wrt)
        return sp.ImmutableMatrix(len(fv), len(xv), lambda i, j: sp.diff(fv[i], xv[j]))
    raise _InputTypeError(
        f"a function of {_describe_shape(fshape)} differentiated with respect to "
        f"{_describe_shape(vshape)} has a four-index Jacobian; state the claim as a backward "
        "rule with check_backward_rule (given the upstream gradient G)"
    )


# ----------------------------------------------------------------------------- deciding


def _probably_nonzero(d: sp.Expr) -> bool:
    """Whether ``d`` is visibly non-zero at one of two fixed real points (a cheap probe)."""
    syms = sorted(d.free_symbols, key=lambda t: t.name)
    try:
        f = _lambdify(syms, [d])
    except Exception:  # undefined functions and the like: no probe
        return False
    for offset in (0.0, 0.45):
        vals = [(0.31 + 0.173 * k + offset) * (1 if k % 2 else -1) for k in range(len(syms))]
        vals = [
            abs(v) if (t.is_positive or t.is_nonnegative) else v
            for v, t in zip(vals, syms, strict=True)
        ]
        try:
            v = _real(f(*vals)[0])
        except Exception:
            continue
        if v is not None and abs(v) > 1e-6:
            return True
    return False


def _simplifies_to(d: sp.Expr) -> sp.Expr | None:
    """Try to show that ``d`` is zero; return the simplest form found, or None if too big.

    Cheap canonical forms come first (expansion; rational functions of exponentials);
    a difference visibly non-zero at a fixed point skips the expensive
    :func:`sympy.simplify` and goes to the numeric check.
    """
    d = sp.expand(d)
    if d == 0 or d.is_number:
        return d
    if sp.count_ops(d) > _MAX_SIMPLIFY_OPS:
        return None
    e = d.rewrite(sp.exp) if d.has(sp.tanh, sp.sinh, sp.cosh) else d
    c = sp.cancel(sp.together(e))
    if c == 0 or c.is_number:
        return c
    if _probably_nonzero(d):
        return d
    s = sp.simplify(d)
    if s != 0 and s.has(sp.tanh, sp.sinh, sp.cosh, sp.exp):
        s2 = sp.simplify(s.rewrite(sp.exp))
        if s2 == 0 or sp.count_ops(s2) < sp.count_ops(s):
            s = s2
    return s


def _to_float(v: Any) -> complex | None:
    try:
        c = complex(v)
    except (TypeError, ValueError, OverflowError):
        return None
    if not (math.isfinite(c.real) and math.isfinite(c.imag)):
        return None
    return c


def _beyond_floats(v: Any) -> bool:
    """Whether ``v`` is a finite real mpmath number too large for a float."""
    try:
        return bool(mpmath.isfinite(v) and mpmath.im(v) == 0 and abs(mpmath.re(v)) > 1e300)
    except (TypeError, ValueError):
        return False


def _real(v: Any) -> float | None:
    c = _to_float(v)
    if c is None or abs(c.imag) > 1e-12 * max(1.0, abs(c.real)):
        return None
    return c.real


def _validate_domain(
    domain: Mapping[sp.Symbol | str, tuple[float, float]] | None, known: set[str]
) -> dict[str, tuple[float, float]]:
    if domain is None:
        return {}
    if not isinstance(domain, Mapping):
        raise _InputTypeError(
            f"expected domain to be a mapping {{symbol: (low, high)}}, got {type(domain).__name__}"
        )
    out: dict[str, tuple[float, float]] = {}
    for key, interval in domain.items():
        if not isinstance(key, str | sp.Symbol):
            raise _InputTypeError(
                f"expected a symbol or a symbol's name as domain key, got {key!r}"
            )
        name = key if isinstance(key, str) else key.name
        try:
            lo, hi = (float(v) for v in interval)
        except (TypeError, ValueError) as err:
            raise _InputValueError(
                f"expected a domain interval (low, high) of two numbers for {name}, got {interval!r}"
            ) from err
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise _InputValueError(
                f"expected a finite domain interval for {name}, got {(lo, hi)}; "
                "an infinite interval cannot be sampled"
            )
        if not lo < hi:
            raise _InputValueError(
                f"expected a domain interval (low, high) with low < high for {name}, got {(lo, hi)}"
            )
        out[name] = (lo, hi)
    unknown = sorted(set(out) - known)
    if unknown:
        raise _InputValueError(
            f"domain names symbols {unknown} that do not occur; the symbols are {sorted(known)}"
        )
    return out


def _lambdify(symbols: Sequence[sp.Symbol], exprs: Sequence[Any]) -> Any:
    """mpmath function of ``symbols`` returning the list ``exprs`` (shared subexpressions once)."""
    return sp.lambdify(list(symbols), list(exprs), modules="mpmath", cse=True, docstring_limit=0)


def _validate_settings(n_points: Any, tol: Any, rng: Any) -> None:
    """Refuse settings under which the checker could not fail a claim."""
    if isinstance(n_points, bool) or not isinstance(n_points, int | np.integer):
        raise _InputTypeError(f"expected n_points to be an integer >= 1, got {n_points!r}")
    if n_points < 1:
        raise _InputValueError(f"expected n_points >= 1, got {n_points}")
    if isinstance(tol, bool) or not isinstance(tol, int | float | np.floating | np.integer):
        raise _InputTypeError(f"expected tol to be a finite number in (0, 1), got {tol!r}")
    if not (math.isfinite(float(tol)) and 0 < float(tol) < 1):
        raise _InputValueError(f"expected tol to be a finite number in (0, 1), got {tol!r}")
    if rng is not None and not isinstance(rng, int | np.integer | np.random.Generator):
        raise _InputTypeError(f"expected rng to be a seed, a numpy Generator or None, got {rng!r}")


def _exact_value(e: sp.Expr, point: Mapping[sp.Symbol, sp.Rational]) -> sp.Expr | None:
    """``e`` at an exact rational point, evaluated to 30 guaranteed digits.

    Returns ``0`` when the value is exactly zero, a non-zero :class:`sympy.Float` when
    sympy's evaluation proves it non-zero, and ``None`` when it cannot tell (the
    value may be zero) or cannot evaluate it.
    """
    try:
        at = e.xreplace(dict(point))
        if at == 0:
            return sp.Integer(0)
        if not at.is_number or at.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
            return None
        v = at.evalf(_EXACT_DIGITS, strict=True)
    except (
        Exception
    ):  # PrecisionExhausted, and whatever sympy raises on functions it cannot evaluate
        return None
    if v == 0:
        return sp.Integer(0)
    if not isinstance(v, sp.Float):
        return None
    return v


def _scale_values(exprs: Sequence[Any]) -> list[float]:
    """Magnitudes at which one term of ``exprs`` may dominate the others.

    The absolute values of the numbers written in the expressions (the centre
    :math:`10^6` of :math:`e^{-(x - 10^6)^2}`, a weight :math:`10^{-12}`) and their
    reciprocals, and the two generic scales :math:`10^{\\pm 3}`.
    """
    found: set[float] = {1e-3, 1e3}
    for obj in exprs:
        for _, e in _entries(obj):
            if not isinstance(e, sp.Basic):
                continue
            for n in e.atoms(sp.Number):
                try:
                    a = abs(float(n))
                except (TypeError, ValueError, OverflowError):
                    continue
                if math.isfinite(a) and (a >= 4 or 0 < a <= 0.25) and 1e-150 < a < 1e150:
                    found.update((a, 1 / a))
    return sorted(found, key=lambda a: -abs(math.log10(a)))


def _has_float(e: Any) -> bool:
    return isinstance(e, sp.Basic) and bool(e.atoms(sp.Float))


def _is_nonzero(s: sp.Expr) -> bool:
    """Whether sympy proves ``s`` non-zero (for every value of its real symbols)."""
    try:
        if s.is_number:
            return bool(s.evalf(_EXACT_DIGITS, strict=True) != 0)
        return s.is_zero is False
    except Exception:  # PrecisionExhausted and friends: sympy cannot tell
        return False


def _fmt_diff(v: sp.Expr) -> str:
    """A difference as text, its exponent kept (it may lie far below the float range)."""
    return str(sp.Float(v, 4))


class _Sampler:
    """Points inside the domain of some expressions: random ones, then scale points."""

    def __init__(
        self,
        symbols: Sequence[sp.Symbol],
        must_be_defined: Sequence[sp.Expr],
        domain: Mapping[sp.Symbol | str, tuple[float, float]] | None,
        rng: np.random.Generator,
    ) -> None:
        self.symbols = list(symbols)
        self.rng = rng
        self.domain = _validate_domain(domain, {s.name for s in self.symbols})
        self.defined = _lambdify(self.symbols, must_be_defined)
        self.beyond_floats = 0  # draws rejected only because a value overflows a float

    def _draw(self, scale: float) -> list[float]:
        out = []
        for s in self.symbols:
            if s.name in self.domain:
                lo, hi = self.domain[s.name]
                out.append(float(self.rng.uniform(lo, hi)))
                continue
            mag = float(self.rng.uniform(0.2, 2.0)) * scale
            if s.is_positive or s.is_nonnegative:
                out.append(mag)
            elif s.is_negative or s.is_nonpositive:
                out.append(-mag)
            else:
                out.append(mag if self.rng.random() < 0.5 else -mag)
        return out

    def _evaluate(self, values: list[float]) -> list[Any] | None:
        try:
            with mpmath.workdps(_NUMERIC_DIGITS):
                results = self.defined(*values)
        except OverflowError:
            self.beyond_floats += 1
            return None
        except (ZeroDivisionError, ValueError, TypeError):
            return None
        except NameError as err:
            raise _Unsupported(
                f"the expressions cannot be evaluated numerically ({err}); use concrete "
                "functions instead of undefined ones"
            ) from err
        if all(_real(r) is not None for r in results):
            return list(results)
        if all(_beyond_floats(r) or _real(r) is not None for r in results):
            self.beyond_floats += 1
        return None

    def _allowed(self, s: sp.Symbol, v: float) -> bool:
        if s.name in self.domain:
            lo, hi = self.domain[s.name]
            return lo <= v <= hi
        if (s.is_positive or s.is_nonnegative) and v < 0:
            return False
        return not ((s.is_negative or s.is_nonpositive) and v > 0)

    def points(
        self, n: int, scales: Sequence[float] = (), max_tries: int = 400
    ) -> list[tuple[list[float], list[Any], bool]]:
        """``n`` random points, then up to ``_MAX_SCALE_POINTS`` scale points.

        Each is ``(values, results of must_be_defined, is_scale_point)``.  A scale
        point is the first random point with one coordinate set to ``+-scale``.
        """
        out: list[tuple[list[float], list[Any], bool]] = []
        tries = 0
        while len(out) < n and tries < max_tries:
            scale = 3.0 ** (tries // 100)
            tries += 1
            values = self._draw(scale)
            results = self._evaluate(values)
            if results is not None:
                out.append((values, results, False))
        if not out and self.beyond_floats:
            raise _TooBig(
                f"the function's values lie beyond the floating-point range at {self.beyond_floats}"
                f" of {max_tries} random points, so they cannot be compared numerically"
            )
        if not out:
            raise _InputValueError(
                f"found no point inside the function's domain in {max_tries} random draws; "
                "pass domain={symbol: (low, high)} to say where to sample"
            )
        base = out[0][0]
        n_scale = 0
        for mag in scales:
            for k, s in enumerate(self.symbols):
                for v in (mag, -mag):
                    if n_scale >= _MAX_SCALE_POINTS or not self._allowed(s, v):
                        continue
                    values = [*base[:k], v, *base[k + 1 :]]
                    results = self._evaluate(values)
                    if results is not None:
                        out.append((values, results, True))
                        n_scale += 1
        return out


def _huge_power(objs: Sequence[Any]) -> sp.Pow | None:
    """A power with an integer exponent beyond :data:`_MAX_EXPONENT` in ``objs``, if any."""
    for obj in objs:
        for _, e in _entries(obj):
            if not isinstance(e, sp.Basic):
                continue
            for p in e.atoms(sp.Pow):
                if p.exp.is_Integer and abs(int(p.exp)) > _MAX_EXPONENT and p.base.free_symbols:
                    return p
    return None


def _decide_huge_power(
    pairs: Sequence[tuple[Any, Any, Any]], huge: sp.Pow, what: str, truth: Any, simplify: bool
) -> Verdict:
    """Decide a claim holding a power like :math:`x^{10^6}` without evaluating it at points.

    Exact values at rational points would have millions of digits and floating-point
    values overflow or underflow, so only the expanded difference is used: zero
    proves the claim; a non-zero polynomial with exact coefficients refutes it (a
    polynomial that is not identically zero is non-zero almost everywhere);
    anything else is undecided.
    """
    too_big = _undecided(
        "size",
        f"{what}: the power {huge} is too large to evaluate at points (exponents up to "
        f"{_MAX_EXPONENT} are evaluated)",
    )
    if not simplify:
        return too_big
    symbols = sorted(set().union(*(_free(t) | _free(c) for _, t, c in pairs)), key=str)
    for key, t, c in pairs:
        d = sp.expand(sp.sympify(t - c))
        if d == 0:
            continue
        if not _has_float(d) and d.is_polynomial(*symbols):
            where = f" at entry {key}" if key else ""
            return Verdict(
                False,
                "symbolic",
                f"{what}: the difference{where} expands to a non-zero polynomial, which is "
                "non-zero almost everywhere",
                truth=truth,
            )
        return too_big
    return Verdict(True, "symbolic", f"{what}: the difference simplifies to zero", truth=truth)


def _decide(
    truth: Any,
    claimed: Any,
    must_be_defined: Sequence[sp.Expr],
    *,
    what: str,
    domain: Mapping[sp.Symbol | str, tuple[float, float]] | None,
    n_points: int,
    rng: np.random.Generator | int | None,
    tol: float,
    simplify: bool,
) -> Verdict:
    """Decide a claim: proved or refuted by sympy, or else tested numerically.

    1. Each entry's difference (truth minus claim) is simplified; zero in every
       entry proves the claim.  A difference that sympy shows to be non-zero
       (``is_zero`` is False, or a non-zero constant) refutes it.
    2. Points are drawn inside the domain: ``n_points`` random ones and *scale
       points*, where one coordinate takes a magnitude from :func:`_scale_values`.
       At the first few, taken as exact rationals, the difference is evaluated to
       30 guaranteed digits: a non-zero value refutes the claim.  Floating-point
       numbers written in the expressions are approximations, so a difference that
       contains them counts only when it exceeds ``tol`` relative to the values.
    3. Otherwise (sympy could not decide) the claim is correct when both sides
       agree to the relative tolerance ``tol`` at every point (a mismatch is
       confirmed at twice the working precision before it counts).

    With ``simplify=False`` steps 1 and 2 are skipped: the verdict rests on step 3.
    """
    _validate_settings(n_points, tol, rng)
    tol = float(tol)
    pairs = [(k, t, c) for (k, t), (_, c) in zip(_entries(truth), _entries(claimed), strict=True)]
    symbols = sorted(
        set().union(*(_free(e) for e in must_be_defined), _free(claimed)), key=lambda s: s.name
    )
    _validate_domain(domain, {s.name for s in symbols})
    screened = _screen(truth, claimed, must_be_defined, what)
    if screened is not None:
        return screened

    huge = _huge_power([truth, claimed, *must_be_defined])
    if huge is not None:
        return _decide_huge_power(pairs, huge, what, truth, simplify)

    diffs: list[sp.Expr] = [sp.sympify(t - c) for _, t, c in pairs]
    proven_zero = [False] * len(pairs)
    never_zero: int | None = None
    if simplify:
        for i, d in enumerate(diffs):
            s = _simplifies_to(d)
            if s is None:
                continue
            diffs[i] = s
            if s == 0:
                proven_zero[i] = True
            elif not _has_float(s) and _is_nonzero(s):
                never_zero = i
                break
        if all(proven_zero):
            return Verdict(
                True, "symbolic", f"{what}: the difference simplifies to zero", truth=truth
            )

    gen = np.random.default_rng(rng)
    try:
        sampler = _Sampler(symbols, [*must_be_defined, *(t for _, t, _ in pairs)], domain, gen)
        f_claim = _lambdify(symbols, [c for _, _, c in pairs])
        points = sampler.points(n_points, _scale_values([truth, claimed]) if symbols else ())
    except Exception as err:
        if never_zero is not None:  # sympy refuted the claim already; there is no point to show
            return Verdict(
                False, "symbolic", _never_zero_reason(diffs[never_zero], what), truth=truth
            )
        if isinstance(err, _InputValueError | _InputTypeError | _Unsupported | _TooBig):
            raise
        if isinstance(err, ValueError | TypeError | NotImplementedError | NameError | KeyError):
            raise _Unsupported(
                f"{what}: simplification was inconclusive and the expressions cannot be "
                f"evaluated numerically ({type(err).__name__}: {_first_line(err)}); use "
                "concrete functions instead of undefined ones"
            ) from err
        raise
    n_defined = len(must_be_defined)

    def claim_at(values: list[float], digits: int) -> list[float | None]:
        try:
            with mpmath.workdps(digits):
                return [_real(v) for v in f_claim(*values)]
        except (ZeroDivisionError, ValueError, OverflowError, TypeError):
            return [None] * len(pairs)

    def truth_at(values: list[float], digits: int) -> list[float | None]:
        with mpmath.workdps(digits):
            return [_real(v) for v in sampler.defined(*values)[n_defined:]]

    def differ(t: float | None, c: float | None) -> bool:
        return t is not None and (c is None or abs(t - c) > tol * max(1.0, abs(t), abs(c)))

    refuted: tuple[Counterexample, str] | None = None  # exact refutation, kept as a fallback
    visible: tuple[Counterexample, str] | None = None  # a mismatch seen in floating point
    first_defined: Counterexample | None = None
    exact_left = _MAX_EXACT_POINTS
    for values, results, is_scale in points:
        # the sampler keeps only points where every truth is real and finite
        tv = [_real(v) or 0.0 for v in results[n_defined:]]
        cv = claim_at(values, _NUMERIC_DIGITS)
        point = {s.name: float(v) for s, v in zip(symbols, values, strict=True)}
        for k, (t_k, c_k) in enumerate(zip(tv, cv, strict=True)):
            if is_scale and c_k is None:
                continue  # an overflow far out is no evidence
            if differ(t_k, c_k):
                t2, c2 = (
                    truth_at(values, 2 * _NUMERIC_DIGITS)[k],
                    claim_at(values, 2 * _NUMERIC_DIGITS)[k],
                )
                if differ(t2, c2):
                    visible = (Counterexample(point, pairs[k][0], t_k, c_k), _hint(t_k, c_k, tol))
                    break
        if visible is not None:
            break
        if first_defined is None and never_zero is not None:
            first_defined = Counterexample(
                point, pairs[never_zero][0], tv[never_zero], cv[never_zero]
            )
        if simplify and refuted is None and never_zero is None and exact_left > 0:
            exact_left -= 1
            exact = {s: sp.Rational(v) for s, v in zip(symbols, values, strict=True)}
            for k, d in enumerate(diffs):
                if proven_zero[k]:
                    continue
                v = _exact_value(d, exact)
                if v is None or v == 0:
                    continue
                if _has_float(d) and abs(float(v)) <= tol * max(1.0, abs(tv[k]), abs(cv[k] or 0)):
                    continue
                hint = "" if cv[k] is None else _hint(tv[k], cv[k], tol)
                found = Counterexample(point, pairs[k][0], tv[k], cv[k], _fmt_diff(-v))
                refuted = (found, hint)
                break
    checked = len(points)
    if never_zero is not None or refuted is not None:
        if never_zero is not None:
            why = _never_zero_reason(diffs[never_zero], what)
            cex: Counterexample | None = visible[0] if visible else first_defined
            why += visible[1] if visible else ""
        elif refuted is not None:
            why = f"{what}: the difference is non-zero at an exact rational point of the domain"
            cex, hint = visible if visible else refuted
            why += hint
        return Verdict(False, "symbolic", why, cex, checked, truth=truth)
    if visible is not None:
        return Verdict(
            False,
            "numeric",
            f"{what}: the claim and the truth differ at a point of the domain" + visible[1],
            visible[0],
            checked,
            truth=truth,
        )
    how = "sympy could neither prove nor refute it" if simplify else "simplification was skipped"
    return Verdict(
        True,
        "numeric",
        f"{what}: {how}; the claim matches at {checked} points of the domain "
        f"(relative tolerance {tol:g})",
        None,
        checked,
        truth=truth,
    )


def _never_zero_reason(d: sp.Expr, what: str) -> str:
    if d.is_number:
        return f"{what}: the difference simplifies to a non-zero constant"
    return f"{what}: sympy shows that the difference is never zero"


def _hint(truth: float, claimed: float | None, tol: float) -> str:
    """A short diagnosis of one mismatch (sign flip, zero claim, constant factor)."""
    if claimed is None:
        return " (the claim is undefined there)"
    scale = tol * max(1.0, abs(truth), abs(claimed))
    if abs(truth + claimed) <= scale:
        return " (the claim has the opposite sign: a dropped minus)"
    if abs(claimed) <= scale:
        return " (the claim is zero where the truth is not)"
    if abs(truth) > scale:
        ratio = claimed / truth
        if f"{ratio:.6g}" == "1":
            return f" (claim - truth = {claimed - truth:.6g} there)"
        return f" (claim / truth = {ratio:.6g} there)"
    return ""


def _check_claim_symbols(claimed: Any, allowed: set[sp.Symbol], owner: str) -> None:
    extra = _free(claimed) - allowed
    if extra:
        names = sorted(s.name for s in extra)
        have = sorted(s.name for s in allowed)
        raise _InputValueError(
            f"the claim uses symbols {names} that {owner} does not contain; expected only {have}"
        )


def _check_claim_shape(claimed: Any, expected: tuple[int, ...], of: str) -> None:
    got = _shape(claimed)
    if got != expected:
        raise _InputValueError(
            f"expected a claim of {_describe_shape(expected)} ({of}), got {_describe_shape(got)}"
        )


# ----------------------------------------------------------------------------- public API


def _check_gradient(
    f: Any,
    wrt: Any,
    claimed: Any,
    *,
    domain: Mapping[sp.Symbol | str, tuple[float, float]] | None = None,
    n_points: int = 5,
    rng: np.random.Generator | int | None = 0,
    tol: float = 1e-8,
    simplify: bool = True,
) -> Verdict:
    """:func:`check_gradient` in this process, without a budget."""
    msmap = _matrix_symbol_map([f, wrt, claimed])
    fe, claim = _explicit(f, msmap), _explicit(claimed, msmap)
    var = msmap.get(wrt, wrt) if isinstance(wrt, sp.MatrixSymbol) else _explicit(wrt, {})
    real = _real_map([fe, claim, var])
    fe, claim, var = _xr(fe, real), _xr(claim, real), _xr(var, real)
    syms = _variable_symbols(var)
    truth = _true_derivative(fe, var)
    name = _name_of(wrt, "the variable")
    _check_claim_shape(claim, _shape(truth), f"the derivative with respect to {name}")
    _check_claim_symbols(claim, _free(fe) | set(syms), "the function")
    defined = [e for _, e in _entries(fe)]
    return _decide(
        truth,
        claim,
        defined,
        what=f"d f / d {name}",
        domain=domain,
        n_points=n_points,
        rng=rng,
        tol=tol,
        simplify=simplify,
    )


def _check_backward_rule(
    output: Any,
    wrt: Any,
    claimed: Any,
    upstream: Any,
    *,
    output_symbol: Any = None,
    domain: Mapping[sp.Symbol | str, tuple[float, float]] | None = None,
    n_points: int = 5,
    rng: np.random.Generator | int | None = 0,
    tol: float = 1e-8,
    simplify: bool = True,
) -> Verdict:
    """:func:`check_backward_rule` in this process, without a budget."""
    msmap = _matrix_symbol_map([output, wrt, claimed, upstream, output_symbol])
    out = _explicit(output, msmap)
    G = _explicit(upstream, msmap)
    if _shape(G) != _shape(out) and not (_shape(G) == (1, 1) and _shape(out) == ()):
        raise _InputValueError(
            f"expected the upstream gradient to have the output's {_describe_shape(_shape(out))}, "
            f"got {_describe_shape(_shape(G))}"
        )
    claim = _explicit(claimed, msmap)
    var = msmap.get(wrt, wrt) if isinstance(wrt, sp.MatrixSymbol) else _explicit(wrt, {})
    osym = None if output_symbol is None else _explicit(output_symbol, msmap)
    real = _real_map([out, G, claim, var, osym])
    out, G, claim, var, osym = (_xr(o, real) for o in (out, G, claim, var, osym))
    if osym is not None:
        if _shape(osym) != _shape(out):
            raise _InputValueError(
                f"expected output_symbol of the output's {_describe_shape(_shape(out))}, "
                f"got {_describe_shape(_shape(osym))}"
            )
        reps = {s: e for (_, s), (_, e) in zip(_entries(osym), _entries(out), strict=True)}
        claim = claim.xreplace(reps) if isinstance(claim, sp.Basic) else claim
    if isinstance(out, sp.MatrixBase):
        pairing = sum((g * c for g, c in zip(G, out, strict=True)), sp.Integer(0))
    else:
        pairing = (G[0, 0] if isinstance(G, sp.MatrixBase) else G) * out
    syms = _variable_symbols(var)
    truth = _true_derivative(pairing, var)
    name = _name_of(wrt, "the input")
    _check_claim_shape(claim, _shape(truth), f"the shape of {name}")
    _check_claim_symbols(
        claim, _free(out) | _free(G) | set(syms), "the op (with its upstream gradient)"
    )
    defined = [e for _, e in _entries(out)]
    return _decide(
        truth,
        claim,
        [*defined, pairing],
        what=f"backward rule for {name}",
        domain=domain,
        n_points=n_points,
        rng=rng,
        tol=tol,
        simplify=simplify,
    )


def _check_equal(
    lhs: Any,
    rhs: Any,
    *,
    domain: Mapping[sp.Symbol | str, tuple[float, float]] | None = None,
    n_points: int = 5,
    rng: np.random.Generator | int | None = 0,
    tol: float = 1e-8,
    simplify: bool = True,
    label: str = "identity",
) -> Verdict:
    """:func:`check_equal` in this process, without a budget."""
    msmap = _matrix_symbol_map([lhs, rhs])
    left, right = _explicit(lhs, msmap), _explicit(rhs, msmap)
    real = _real_map([left, right])
    left, right = _xr(left, real), _xr(right, real)
    _check_claim_shape(right, _shape(left), "the shape of the left-hand side")
    return _decide(
        left,
        right,
        [e for _, e in _entries(left)],
        what=label,
        domain=domain,
        n_points=n_points,
        rng=rng,
        tol=tol,
        simplify=simplify,
    )


def check_gradient(
    f: Any,
    wrt: Any,
    claimed: Any,
    *,
    domain: Mapping[sp.Symbol | str, tuple[float, float]] | None = None,
    n_points: int = 5,
    rng: np.random.Generator | int | None = 0,
    tol: float = 1e-8,
    simplify: bool = True,
    budget: float | None = DEFAULT_BUDGET,
) -> Verdict:
    """Check a claimed derivative :math:`\\partial f / \\partial \\mathrm{wrt}`.

    Shapes: for a scalar ``f`` (a sympy expression) the claim has the shape of
    ``wrt`` (entry :math:`\\partial f/\\partial w_{ij}`); for a matrix-valued ``f`` of a
    scalar it has the shape of ``f`` (entrywise derivative); for a vector ``f`` of a
    vector it is the Jacobian :math:`J_{ij} = \\partial f_i / \\partial x_j`, also when
    ``f`` is a :math:`1 \\times 1` matrix.

    Parameters
    ----------
    f
        Scalar expression, sympy matrix, or matrix expression of concrete size.
    wrt
        Symbol, matrix of symbols, or :class:`sympy.MatrixSymbol`.
    claimed
        The claimed derivative; may use only the symbols of ``f`` and ``wrt``.
    domain
        Optional sampling intervals ``{symbol or name: (low, high)}``.
    n_points
        Random points evaluated (at least 1) when sympy cannot decide; scale points
        are added to them.
    rng
        Seed or generator for the random points.
    tol
        Relative tolerance of the numeric comparison, a finite number in (0, 1).
    simplify
        Try sympy first (simplification and exact evaluation); ``False`` leaves the
        verdict to the numeric test alone.
    budget
        Seconds of processor time the check may take (default :data:`DEFAULT_BUDGET`;
        at most four times as much wall-clock time); past it the check is stopped (it
        runs in a child process that is killed) and the verdict is undecided with
        ``undecided="time"``.  ``None`` runs it here without a limit.

    Returns
    -------
    Verdict
        Correct, wrong (with a counterexample) or undecided (with the reason); every
        failure inside sympy or mpmath ends as an undecided verdict, never an error.

    Raises
    ------
    ValueError
        If the claim has the wrong shape or uses symbols that ``f`` lacks, or if
        ``n_points``, ``tol`` or ``domain`` are out of range (the checker refuses
        settings under which it could not fail a claim).
    TypeError
        If the derivative would need four indices (use :func:`check_backward_rule`).

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> check_gradient(sp.log(x) ** 2, x, 2 * sp.log(x) / x).correct
    True
    >>> v = check_gradient(x / (1 + x), x, 1 / (1 + x) ** 2 + 1)
    >>> v.correct, v.method
    (False, 'symbolic')
    >>> v = check_gradient(x**2, x, 2 * x + sp.exp(-((x - 10**6) ** 2)))
    >>> v.correct, v.method, v.counterexample.point, v.counterexample.claimed
    (False, 'symbolic', {'x': 1000000.0}, 2000001.0)
    """
    kwargs = dict(domain=domain, n_points=n_points, rng=rng, tol=tol, simplify=simplify)
    return _bounded(_check_gradient, (f, wrt, claimed), kwargs, budget)


def check_backward_rule(
    output: Any,
    wrt: Any,
    claimed: Any,
    upstream: Any,
    *,
    output_symbol: Any = None,
    domain: Mapping[sp.Symbol | str, tuple[float, float]] | None = None,
    n_points: int = 5,
    rng: np.random.Generator | int | None = 0,
    tol: float = 1e-8,
    simplify: bool = True,
    budget: float | None = DEFAULT_BUDGET,
) -> Verdict:
    """Check a backward rule "given the upstream gradient G of C = F(X, ...), X_grad = claim".

    The true rule is the vector-Jacobian product

    .. math:: \\bar X_{ij} = \\sum_{a,b} G_{ab} \\, \\frac{\\partial C_{ab}}{\\partial X_{ij}}
              = \\frac{\\partial}{\\partial X_{ij}} \\sum_{a,b} G_{ab} C_{ab},

    which has the shape of ``X``.

    Parameters
    ----------
    output
        The op's output :math:`C = F(X, \\dots)` (scalar or matrix).
    wrt
        The input :math:`X` whose gradient is claimed.
    claimed
        The claimed :math:`\\bar X`, in terms of the inputs, ``upstream`` and
        optionally ``output_symbol``.
    upstream
        The upstream gradient :math:`G`, shaped like ``output``
        (see :func:`upstream_like`).
    output_symbol
        A symbol (or matrix of symbols) standing for :math:`C` in the claim; it is
        replaced by ``output`` before checking.
    domain, n_points, rng, tol, simplify, budget
        As in :func:`check_gradient`.

    Examples
    --------
    >>> X, Y = matrix_symbols("X", 2, 2), matrix_symbols("Y", 2, 2)
    >>> C = X.multiply_elementwise(Y.applyfunc(lambda y: 1 / y))
    >>> G = upstream_like(C)
    >>> Yinv2 = Y.applyfunc(lambda y: y**-2)
    >>> check_backward_rule(C, Y, -G.multiply_elementwise(X).multiply_elementwise(Yinv2), G).correct
    True
    >>> check_backward_rule(C, Y, G.multiply_elementwise(X).multiply_elementwise(Yinv2), G).correct
    False
    """
    kwargs = dict(
        output_symbol=output_symbol,
        domain=domain,
        n_points=n_points,
        rng=rng,
        tol=tol,
        simplify=simplify,
    )
    return _bounded(_check_backward_rule, (output, wrt, claimed, upstream), kwargs, budget)


def check_equal(
    lhs: Any,
    rhs: Any,
    *,
    domain: Mapping[sp.Symbol | str, tuple[float, float]] | None = None,
    n_points: int = 5,
    rng: np.random.Generator | int | None = 0,
    tol: float = 1e-8,
    simplify: bool = True,
    label: str = "identity",
    budget: float | None = DEFAULT_BUDGET,
) -> Verdict:
    """Check an identity :math:`\\mathrm{lhs} = \\mathrm{rhs}` (scalars or same-shaped matrices).

    Points are drawn inside the domain of the left-hand side (the expression
    whose value is known); the right-hand side is the claim.  ``label`` names the
    identity in the verdict's reason; the other arguments (``budget`` too) are
    as in :func:`check_gradient`.

    >>> x = sp.Symbol("x")
    >>> check_equal(sp.tanh(x), 2 / (1 + sp.exp(-2 * x)) - 1).correct
    True
    >>> check_equal(1 / (1 + sp.exp(-x)), (1 - sp.exp(-x)) / (1 + sp.exp(-x))).correct
    False
    """
    kwargs = dict(
        domain=domain, n_points=n_points, rng=rng, tol=tol, simplify=simplify, label=label
    )
    return _bounded(_check_equal, (lhs, rhs), kwargs, budget)


_CHECKS: dict[Callable[..., Verdict], Callable[..., Verdict]] = {
    check_gradient: _check_gradient,
    check_backward_rule: _check_backward_rule,
    check_equal: _check_equal,
}


def _task(
    index: int, claim: Any, options: Mapping[str, Any]
) -> tuple[Callable[..., Verdict], tuple[Any, ...], dict[str, Any]]:
    """The check, its arguments and its options for one item of :func:`check_many`."""
    if isinstance(claim, functools.partial) and claim.func in _CHECKS:
        kwargs = {**options, **claim.keywords}
        if "budget" in kwargs:
            raise ValueError(
                f"claim {index}: give the budget to check_many, not to the claim, got "
                f"budget={kwargs['budget']!r}"
            )
        if claim.func is not check_equal:
            kwargs.pop("label", None)
        return _CHECKS[claim.func], tuple(claim.args), kwargs
    if isinstance(claim, tuple) and len(claim) == 3:
        kwargs = {k: v for k, v in options.items() if k != "label"}
        return _check_gradient, claim, kwargs
    raise TypeError(
        f"claim {index}: expected a triple (f, wrt, claimed) or a functools.partial of "
        f"check_gradient, check_backward_rule or check_equal, got {type(claim).__name__}"
    )


def _default_workers() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def check_many(
    claims: Iterable[Any],
    *,
    budget: float | None = DEFAULT_BUDGET,
    workers: int | None = None,
    **options: Any,
) -> list[Verdict]:
    """Grade many claims (a class's answers) on all cores, one verdict each, in input order.

    Each claim runs under its own ``budget`` in a pool of worker processes; a claim
    that runs out of time is stopped (its worker is killed and replaced) and comes
    back undecided, so one pathological answer never holds up the others.  A claim
    that the checker refuses (a claim of the wrong shape, say) comes back undecided
    with ``undecided="input"`` and the checker's message instead of raising.

    Parameters
    ----------
    claims
        Triples ``(f, wrt, claimed)``, checked with :func:`check_gradient`, or
        ``functools.partial`` objects of :func:`check_gradient`,
        :func:`check_backward_rule` or :func:`check_equal` holding their arguments.
    budget
        Seconds each claim may take (``None``: no limit, and the claims run one after
        the other in this process).
    workers
        Worker processes (default: one per core this process may use).
    **options
        Keyword arguments of the checks (``tol``, ``n_points``, ``rng``, ...), used for
        every claim; a partial's own keywords take precedence.

    Returns
    -------
    list of Verdict
        ``verdicts[i]`` answers ``claims[i]``.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> answers = [(x**2, x, 2 * x), (x**3, x, 2 * x**2), (1 / (x - x), x, 0)]
    >>> [v.outcome for v in check_many(answers, budget=5, workers=2)]
    ['correct', 'wrong', 'undecided']
    """
    items = list(claims)
    tasks = [_task(i, c, options) for i, c in enumerate(items)]
    seconds = _validate_budget(budget)
    if workers is None:
        workers = _default_workers()
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        raise ValueError(f"expected workers to be a positive integer or None, got {workers!r}")
    if seconds is None or not _can_fork():
        return [_answer(fn, args, kw, input_errors_as_verdicts=True) for fn, args, kw in tasks]
    if not tasks:
        return []
    verdicts: list[Verdict] = []
    context = multiprocessing.get_context("fork")
    with pebble.ProcessPool(max_workers=min(int(workers), len(tasks)), context=context) as pool:
        futures = [
            pool.schedule(_answer_in_worker, args=(fn, args, kw, True), timeout=seconds)
            for fn, args, kw in tasks
        ]
        for future in futures:
            try:
                verdicts.append(future.result())
            except FutureTimeout:
                verdicts.append(_out_of_time(seconds))
            except pebble.ProcessExpired as err:
                verdicts.append(_died(err.exitcode))
            except Exception as err:  # a result that cannot travel back from the worker
                verdicts.append(
                    _undecided(
                        "unsupported",
                        f"the worker failed ({type(err).__name__}: {_first_line(err)})",
                    )
                )
    return verdicts
