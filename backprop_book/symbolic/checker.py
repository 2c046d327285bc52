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

Each answer is a :class:`Verdict`.  The checker first tries to show that the
difference simplifies to zero (``method="symbolic"``).  When simplification is
inconclusive it evaluates both sides at random points inside the function's
domain (``method="numeric"``): points where the function or the true derivative
is undefined, infinite or complex (``log`` of a negative number, division by
zero, ``sqrt`` of a negative number) are rejected and redrawn.  A wrong claim
comes back with a :class:`Counterexample`: the point, the entry, and both values.

Matrices are sympy matrices of symbols (:func:`matrix_symbols`) or
:class:`sympy.MatrixSymbol` objects of concrete size, which are made explicit
before differentiating.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixExpr

__all__ = [
    "Counterexample",
    "Verdict",
    "check_backward_rule",
    "check_equal",
    "check_gradient",
    "matrix_symbols",
    "upstream_like",
]

Method = Literal["symbolic", "numeric"]

#: Largest expression (in sympy operations) that the checker tries to simplify;
#: bigger differences go straight to numeric evaluation.
_MAX_SIMPLIFY_OPS = 600


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
        raise ValueError(f"expected a positive number of rows and columns, got {rows} x {cols}")
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

    >>> print(Counterexample({"x": 2.0}, (), expected=12.0, claimed=8.0))
    at x=2: true value 12, claimed 8
    """

    point: dict[str, float]
    entry: tuple[int, ...]
    expected: float
    claimed: float | None

    def __str__(self) -> str:
        at = ", ".join(f"{k}={v:.6g}" for k, v in self.point.items()) or "(no free symbols)"
        where = f" entry {self.entry}" if self.entry else ""
        got = "undefined" if self.claimed is None else f"{self.claimed:.10g}"
        return f"at {at}:{where} true value {self.expected:.10g}, claimed {got}"


@dataclass(frozen=True)
class Verdict:
    """The checker's answer.

    Parameters
    ----------
    correct
        Whether the claim holds.
    method
        ``"symbolic"`` when simplification decided (the difference simplified to
        zero, or to a non-zero constant), ``"numeric"`` when the decision rests on
        evaluation at random points inside the domain.
    reason
        One human-readable sentence saying why.
    counterexample
        For a wrong claim, a point with both values (``None`` for a correct one).
    points_checked
        How many random points were evaluated.
    truth
        The true derivative (or left-hand side) the claim was compared with,
        as sympy objects on the concrete sizes (not shown in the repr).

    A verdict is truthy exactly when the claim is correct.

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

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        head = "correct" if self.correct else "WRONG"
        text = f"{head} ({self.method}): {self.reason}"
        if self.counterexample is not None:
            text += f"; {self.counterexample}"
        return text


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
            raise ValueError(
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
    raise TypeError(
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
            raise TypeError(
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
    raise TypeError(
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
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(c.real) and math.isfinite(c.imag)):
        return None
    return c


def _real(v: Any) -> float | None:
    c = _to_float(v)
    if c is None or abs(c.imag) > 1e-12 * max(1.0, abs(c.real)):
        return None
    return c.real


def _validate_domain(
    domain: Mapping[sp.Symbol | str, tuple[float, float]] | None, known: set[str]
) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for key, (lo, hi) in (domain or {}).items():
        name = key if isinstance(key, str) else key.name
        if not lo < hi:
            raise ValueError(
                f"expected a domain interval (low, high) with low < high for {name}, got {(lo, hi)}"
            )
        out[name] = (float(lo), float(hi))
    unknown = sorted(set(out) - known)
    if unknown:
        raise ValueError(
            f"domain names symbols {unknown} that do not occur; the symbols are {sorted(known)}"
        )
    return out


def _lambdify(symbols: Sequence[sp.Symbol], exprs: Sequence[Any]) -> Any:
    """mpmath function of ``symbols`` returning the list ``exprs`` (shared subexpressions once)."""
    return sp.lambdify(list(symbols), list(exprs), modules="mpmath", cse=True, docstring_limit=0)


class _Sampler:
    """Random points inside the domain of some expressions."""

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

    def points(self, n: int, max_tries: int = 400) -> Iterable[tuple[list[float], list[Any]]]:
        found = tries = 0
        while found < n:
            if tries >= max_tries:
                if found == 0:
                    raise ValueError(
                        f"found no point inside the function's domain in {max_tries} random draws; "
                        "pass domain={symbol: (low, high)} to say where to sample"
                    )
                return
            scale = 3.0 ** (tries // 100)
            tries += 1
            values = self._draw(scale)
            try:
                results = self.defined(*values)
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                continue
            except NameError as err:
                raise ValueError(
                    f"cannot evaluate the expressions numerically ({err}); use concrete functions "
                    "instead of undefined ones"
                ) from err
            if all(_real(r) is not None for r in results):
                found += 1
                yield values, list(results)


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
    pairs = list(zip(_entries(truth), _entries(claimed), strict=True))
    all_symbols = set().union(*(_free(e) for e in must_be_defined), _free(claimed))
    _validate_domain(domain, {s.name for s in all_symbols})
    nonzero_constant = False
    all_zero = simplify
    if simplify:
        for (_, t), (_, c) in pairs:
            s = _simplifies_to(t - c)
            if s is None or s != 0:
                all_zero = False
                if s is not None and s.is_number and abs(complex(s.evalf())) > tol:
                    nonzero_constant = True
                    break
    if all_zero:
        return Verdict(True, "symbolic", f"{what}: the difference simplifies to zero", truth=truth)

    symbols = sorted(
        set().union(*(_free(e) for e in must_be_defined), _free(claimed)), key=lambda s: s.name
    )
    gen = np.random.default_rng(rng)
    try:
        sampler = _Sampler(symbols, [*must_be_defined, *(t for (_, t), _ in pairs)], domain, gen)
        f_claim = _lambdify(symbols, [c for _, (_, c) in pairs])
    except (ValueError, TypeError, NotImplementedError) as err:
        if isinstance(err, ValueError) and "domain" in str(err):
            raise
        raise ValueError(
            f"{what}: simplification was inconclusive and the expressions cannot be evaluated "
            f"numerically ({type(err).__name__}: {str(err).splitlines()[0]}); use concrete "
            "functions instead of undefined ones"
        ) from err
    checked = 0
    n_defined = len(must_be_defined)
    for values, results in sampler.points(n_points if not nonzero_constant else 1):
        checked += 1
        tv = [_real(v) for v in results[n_defined:]]
        try:
            cv = [_real(v) for v in f_claim(*values)]
        except (ZeroDivisionError, ValueError, OverflowError):
            cv = [None] * len(tv)
        for k, (t, c) in enumerate(zip(tv, cv, strict=True)):
            if t is None:  # the sampler guarantees a defined truth; be safe anyway
                continue
            if c is None or abs(t - c) > tol * max(1.0, abs(t), abs(c)):
                cex = Counterexample(
                    point={s.name: v for s, v in zip(symbols, values, strict=True)},
                    entry=pairs[k][0][0],
                    expected=t,
                    claimed=c,
                )
                if nonzero_constant:
                    return Verdict(
                        False,
                        "symbolic",
                        f"{what}: the difference simplifies to a non-zero constant",
                        cex,
                        checked,
                        truth=truth,
                    )
                return Verdict(
                    False,
                    "numeric",
                    f"{what}: the claim and the truth differ at a random point in the domain"
                    + _hint(t, c, tol),
                    cex,
                    checked,
                    truth=truth,
                )
    if nonzero_constant:
        return Verdict(
            False,
            "symbolic",
            f"{what}: the difference simplifies to a non-zero constant",
            None,
            checked,
            truth=truth,
        )
    how = "simplification was inconclusive" if simplify else "simplification was skipped"
    return Verdict(
        True,
        "numeric",
        f"{what}: {how}; the claim matches at {checked} random points of the domain "
        f"(relative tolerance {tol:g})",
        None,
        checked,
        truth=truth,
    )


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
        return f" (claim / truth = {claimed / truth:.6g} there)"
    return ""


def _check_claim_symbols(claimed: Any, allowed: set[sp.Symbol], owner: str) -> None:
    extra = _free(claimed) - allowed
    if extra:
        names = sorted(s.name for s in extra)
        have = sorted(s.name for s in allowed)
        raise ValueError(
            f"the claim uses symbols {names} that {owner} does not contain; expected only {have}"
        )


def _check_claim_shape(claimed: Any, expected: tuple[int, ...], of: str) -> None:
    got = _shape(claimed)
    if got != expected:
        raise ValueError(
            f"expected a claim of {_describe_shape(expected)} ({of}), got {_describe_shape(got)}"
        )


# ----------------------------------------------------------------------------- public API


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
        Random points evaluated when simplification is inconclusive.
    rng
        Seed or generator for the random points.
    tol
        Relative tolerance of the numeric comparison.
    simplify
        Try symbolic simplification first.

    Raises
    ------
    ValueError
        If the claim has the wrong shape or uses symbols that ``f`` lacks.
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
    """
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
    domain, n_points, rng, tol, simplify
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
    msmap = _matrix_symbol_map([output, wrt, claimed, upstream, output_symbol])
    out = _explicit(output, msmap)
    G = _explicit(upstream, msmap)
    if _shape(G) != _shape(out) and not (_shape(G) == (1, 1) and _shape(out) == ()):
        raise ValueError(
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
            raise ValueError(
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
) -> Verdict:
    """Check an identity :math:`\\mathrm{lhs} = \\mathrm{rhs}` (scalars or same-shaped matrices).

    Points are drawn inside the domain of the left-hand side (the expression
    whose value is known); the right-hand side is the claim.  ``label`` names the
    identity in the verdict's reason; the other arguments are as in
    :func:`check_gradient`.

    >>> x = sp.Symbol("x")
    >>> check_equal(sp.tanh(x), 2 / (1 + sp.exp(-2 * x)) - 1).correct
    True
    >>> check_equal(1 / (1 + sp.exp(-x)), (1 - sp.exp(-x)) / (1 + sp.exp(-x))).correct
    False
    """
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
