"""Report D (computer-vision course, assignment 2): derivations, counting, a preprocessing
and optimizer study on D's own image set.

D's figures are typed here once, as D prints them.  D trains on its own image
folders (``TRAIN_DATA_PATH``; the report names neither the images nor their
classes), so its measured figures cannot be rerun: the book runs the same
studies on grayscale CIFAR-10 and shows what they give beside D's, as a proxy,
without a verdict of agreement.  D's derivations and counts are checked by Part I.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import statistics
from collections.abc import Callable
from typing import Any

import sympy as sp

from backprop_book.reports.claims import (
    CHECK,
    Claim,
    Open,
    Reading,
    Rule,
    Verdict,
    fmt_spread,
    from_readings,
    record,
    seed_outputs,
)
from backprop_book.symbolic.activations import sigmoid
from backprop_book.symbolic.counting import conv_output_size, lenet5_table, report_d_q3
from backprop_book.symbolic.slips import SLIPS

__all__ = ["BEST_LRS", "CLAIMS", "LENET", "Q2", "Q3", "TASK4_TEST", "TASK_ROWS", "claims",
           "loss_floor"]  # fmt: skip

#: Q2: D's numbers in its last line, and its result.
Q2 = {"y_hat": "0.64545", "z3": "0.599098", "z2": "1.432", "w6": "-0.2", "x3": "-0.3",
      "result": "6.2158 \\times 10^{-4}"}  # fmt: skip
Q2_RESULT = 6.2158e-4
#: Q3: the counts D gives.
Q3 = {"conv": "1151280", "pool": "2560", "total": "1153840", "total_bias": "1154560",
      "flops_per_pool": "9"}  # fmt: skip
#: Q4: LeNet-5's parameters per layer, as D counts them.
LENET = {"C1": "156", "C3": "2496", "C5": "48120", "F6": "10164", "output": "850",
         "total": "61786"}  # fmt: skip
#: Task 2: the best learning rate D found per optimizer.
BEST_LRS = {"adadelta": "0.5", "rmsprop": "0.5", "adam": "0.001", "sgd": "0.5"}
#: Rows of D's tables: (training loss, valid loss, train accuracy, valid accuracy).
TASK_ROWS = {
    "task1 with normalization": ("1.5088002970", "1.541611072540", "0.9542", "0.92399999952"),
    "task1 without normalization": ("1.53001837151", "1.54884378623", "0.934733333333",
                                    "0.91499999904"),
    "task1 with gaussian": ("1.52371720536", "1.54690929985", "0.941666666666", "0.918"),
    "task2 rmsprop lr 0.5": ("1.508800297037760", "1.5416110725402832", "0.9542",
                             "0.923999999523162"),
    "task4 one layer": ("1.509279940032", "1.5429654560", "0.95326666666666", "0.919"),
    "task4 two layer": ("1.518992037455", "1.5446843318", "0.94359999996821", "0.9180000004768"),
    "task5 with dropout": ("1.509791118939", "1.5525431972", "0.95286666666348", "0.911160058474"),
    "task5 without dropout (from task 2)": ("1.508800297037", "1.5416110725", "0.9542",
                                            "0.9239999999523"),
}  # fmt: skip
#: Task 4's test table: (testing loss, testing accuracy).
TASK4_TEST = {"two layer": ("1.5676022591219774", "0.8957415567970836"),
              "one layer": ("1.56034973119324", "0.9034508075483045")}  # fmt: skip
#: Task 3: test accuracy of the 100-unit model.
HIDDEN100_TEST = "0.8939060206455282"

D_DATA = ("D's own image folders (TRAIN_DATA_PATH, VALID_DATA_PATH, TEST_DATA_PATH), "
          "which the report neither names nor describes")  # fmt: skip


def _ok(ok: bool, yes: str, no: str, ours: str = "") -> Verdict:
    return Verdict("reproduced" if ok else "report_wrong", ours, yes if ok else no)


@functools.lru_cache(maxsize=1)
def _q1() -> tuple[bool, bool]:
    a, C, w1, w2, b1, b2, x = sp.symbols("a C w1 w2 b1 b2 x")

    def f(z: sp.Expr) -> sp.Expr:
        return a * z + C

    I2 = f(w2 * f(w1 * x + b1) + b2)
    slope = sp.diff(I2, x)
    linear = sp.simplify(sp.diff(I2, x, 2)) == 0 and sp.simplify(slope - a**2 * w2 * w1) == 0
    grad_w1 = sp.diff(I2, w1)  # a**2 * w2 * x: depends on w2 and x, so it is not a constant
    constant = not (grad_w1.free_symbols & {w2, x})
    return linear, constant


def _q2_value() -> float:
    v = {k: float(Q2[k]) for k in ("y_hat", "z3", "z2", "w6", "x3")}

    def dsig(z: float) -> float:
        return math.exp(-z) / (1 + math.exp(-z)) ** 2

    return -2 * (0.5 - v["y_hat"]) * dsig(v["z3"]) * v["w6"] * dsig(v["z2"]) * v["x3"]


def _q2(c: Claim) -> Verdict:
    ours = _q2_value()
    rel = abs(ours - Q2_RESULT) / abs(ours)
    if rel < 1e-3:
        return Verdict("reproduced", f"{ours:.4e}", "D's chain at D's numbers gives D's result")
    return Verdict(
        "report_wrong", f"{ours:.4e}",
        f"D's own chain, evaluated at D's own numbers (y_hat = {Q2['y_hat']}, z3 = {Q2['z3']}, "
        f"z2 = {Q2['z2']}, w6 = {Q2['w6']}, X3 = {Q2['x3']}), gives {ours:.4e}, "
        f"{rel:.1%} from D's result; D also writes -2||0.5 - y_hat||, whose sign would "
        "make it negative",
    )  # fmt: skip


def _q3_counts(c: Claim) -> Verdict:
    ours = report_d_q3()
    same = (ours["conv"], ours["conv+pool"], ours["conv+pool+bias"]) == (
        int(Q3["conv"]), int(Q3["total"]), int(Q3["total_bias"]))  # fmt: skip
    return _ok(
        same, "Part I's counting helpers give D's counts (a 10x10x32 input, 20 filters of 5x5, "
        "3x3 max-pool with stride 1)", "the counts differ", f"{ours['conv']:,}, "
        f"{ours['conv+pool']:,}, {ours['conv+pool+bias']:,}",
    )  # fmt: skip


def _q3_pool(c: Claim) -> Verdict:
    per_pool_text = int(Q3["flops_per_pool"])
    pools = 16 * 20
    per_pool_used = int(Q3["pool"]) // pools
    if per_pool_used != per_pool_text:
        return Verdict(
            "report_wrong", f"{per_pool_used} per window",
            f"D's text says {per_pool_text} FLOPs per pooling window, its sum {Q3['pool']} = "
            f"16 x {per_pool_used} x 20 uses {per_pool_used}; {per_pool_used} is right (the "
            "maximum of 9 values takes 8 comparisons)",
        )  # fmt: skip
    return Verdict("reproduced", "", "text and sum agree")


@functools.lru_cache(maxsize=1)
def _lenet() -> dict[str, int]:
    return {layer.name: layer.params for layer in lenet5_table("standard")}


def _lenet_layers(c: Claim) -> Verdict:
    ours = _lenet()
    names = ("C1", "C5", "F6", "output")
    got = {n: ours.get(n) for n in names}
    same = all(got[n] == int(LENET[n]) for n in names)
    text = ", ".join(f"{n} {v:,}" for n, v in got.items() if v is not None)
    return _ok(same, "Part I's counts of a standard LeNet-5 (output as a dense 84-10 layer)",
               "the counts differ", text)  # fmt: skip


def _lenet_c3(c: Claim) -> Verdict:
    slip = next(s for s in SLIPS if s.key == "lenet-c3")
    caught = not slip.check().correct
    return Verdict(
        "report_wrong" if caught else "reproduced", f"{_lenet()['C3']:,}",
        "16 maps of 6 x 5 x 5 weights and one bias each: D counts a bias per input-output pair "
        "(the slips gallery catches it)",
    )  # fmt: skip


def _lenet_total(c: Claim) -> Verdict:
    data = record("part4/lenet5")
    table = sum(_lenet().values())
    ours = f"{table:,} (Part I)"
    if data:
        # the count is the architecture's, so every seed's model must give the same one
        counts = {int(out["runs"][0]["num_parameters"]) for out in seed_outputs(data)}
        if len(counts) != 1:
            raise ValueError(f"part4/lenet5: its seeds' models differ in size: {sorted(counts)}")
        ours += f", {counts.pop():,} (the torch LeNet-5 of part4/lenet5)"
    if table != int(LENET["total"]):
        return Verdict("report_wrong", ours, "D's total carries its C3 slip")
    return Verdict("reproduced", ours, "the totals agree")


def _q4_filter(c: Claim) -> Verdict:
    ok = conv_output_size(32, 5) == 28 and conv_output_size(14, 5) == 10
    return _ok(ok, "(32 - 5)/1 + 1 = 28 and (14 - 5)/1 + 1 = 10", "the sizes differ")


def _slip(key: str, no: str) -> Rule:
    def rule(c: Claim) -> Verdict:
        slip = next(s for s in SLIPS if s.key == key)
        v = slip.check()
        if not v.correct:
            return Verdict("report_wrong", "", f"{no}; the checker: {v.reason}")
        return Verdict("reproduced", "", "the checker accepts it")

    return rule


#: D's Q5 sentence, "the gradient of g does not depend on any of the input x_i", read two ways.
Q5_READING = Open(
    "the reading of 'does not depend on'",
    {"no x_i appears in D's final expression (it is written through g and w_i)": CHECK,
     "the gradient's value does not change with x (its derivative in x_j is 0)": CHECK},
)  # fmt: skip


@functools.lru_cache(maxsize=1)
def _q5_written_without_x() -> bool:
    """D's final expression, w_i e^{ln(1/g - 1)} / (1 + e^{ln(1/g - 1)})^2, has no x_i in it."""
    g, w, x = sp.symbols("g w_i x_i", positive=True)
    expr = w * sp.exp(sp.log(1 / g - 1)) / (1 + sp.exp(sp.log(1 / g - 1))) ** 2
    equal = sp.simplify(expr - w * g * (1 - g)) == 0  # it is w_i g (1 - g)
    return equal and x not in expr.free_symbols


def _q5(c: Claim) -> Verdict:
    slip = next(s for s in SLIPS if s.key == "depends-on-inputs").check()
    written, value = Q5_READING.values
    readings = [
        Reading(written, _q5_written_without_x(),
                "sympy: D's expression equals w_i g (1 - g) and holds no x_i"),
        Reading(value, slip.correct, f"the checker: {slip.reason}"),
    ]  # fmt: skip
    return from_readings(readings)


@functools.lru_cache(maxsize=1)
def _tanh_grad() -> bool:
    t = sp.Symbol("x", real=True)
    claim = 4 * sigmoid(2 * t) - 4 * sigmoid(2 * t) ** 2
    return sp.simplify(sp.diff(sp.tanh(t), t) - claim) == 0


def _proxy(what: str, ours: Callable[[], str]) -> Rule:
    def rule(c: Claim) -> Verdict:
        text = ours()
        return Verdict(
            "not_reproducible", text,
            f"D's figures come from {D_DATA}; {what}",
        )  # fmt: skip

    return rule


def _preprocessing_proxy() -> str:
    data = record("part4/d_preprocessing")
    if data is None:
        return ""
    outs = seed_outputs(data)  # every recorded seed
    acc: dict[str, list[float]] = {}
    for out in outs:
        for r in out["rows"]:
            acc.setdefault(str(r["preprocessing"]), []).append(float(r["test_acc"]))
    return "; ".join(f"{name} {fmt_spread(vals)}" for name, vals in acc.items())


def _grid() -> list[dict[str, dict]] | None:
    """D's grid as one ``{run name: row}`` per recorded seed: every seed is read."""
    data = record("part4/d_grid")
    if data is None:
        return None
    return [{r["name"]: r for r in out["runs"]} for out in seed_outputs(data)]


def _best_val_loss(seeds: list[dict[str, dict]], name: str) -> float:
    """A run's lowest validation loss, averaged over the seeds."""
    return statistics.fmean(min(h["val_loss"] for h in s[name]["history"]) for s in seeds)


def _test_acc(seeds: list[dict[str, dict]], name: str) -> str:
    """A run's test accuracy over the seeds, e.g. ``0.4400 ± 0.0030 (3 seeds)``."""
    return fmt_spread([float(s[name]["test_acc"]) for s in seeds])


def _best_lrs_proxy() -> str:
    seeds = _grid()
    if seeds is None:
        return ""
    best: dict[str, tuple[float, str]] = {}
    for name in seeds[0]:
        opt, sep, lr = name.partition("_lr")
        if not sep:
            continue
        loss = _best_val_loss(seeds, name)
        if opt not in best or loss < best[opt][0]:
            best[opt] = (loss, lr)
    return (
        f"best lr by validation loss (mean over {len(seeds)} seed(s)) on grayscale "
        "CIFAR-10: " + ", ".join(f"{o} {lr}" for o, (_, lr) in best.items())
    )


def _layers_proxy() -> str:
    seeds = _grid()
    if seeds is None:
        return ""
    one, two = "adam_lr0.001", "two_layers"
    return (
        f"grayscale CIFAR-10, Adam lr 0.001, mean over {len(seeds)} seed(s): validation loss "
        f"one layer {_best_val_loss(seeds, one):.4f}, two layers "
        f"{_best_val_loss(seeds, two):.4f}; test {_test_acc(seeds, one)} vs "
        f"{_test_acc(seeds, two)}"
    )


def _hidden_proxy() -> str:
    seeds = _grid()
    if seeds is None:
        return ""
    return ", ".join(f"{k} test {_test_acc(seeds, k)}" for k in ("hidden500", "hidden1000"))


def loss_floor(k: int) -> float:
    r"""Smallest cross-entropy of ``k`` classes when the scores are already probabilities.

    The same floor as :func:`backprop_book.torch_nn.experiments.softmax_loss_floor`
    (a test checks they agree), without importing torch: :math:`\log(e + K - 1) - 1`.

    >>> round(loss_floor(10), 4)
    1.4612
    """
    return math.log(math.e + k - 1) - 1


def _loss_floor_proxy() -> str:
    return (f"cross-entropy after a softmax layer cannot fall below log(e + K - 1) - 1, "
            f"{loss_floor(10):.4f} for ten classes")  # fmt: skip


def _duplicate_rows(c: Claim) -> Verdict:
    """The figures labelled RMSProp in Task 2 are the 'SGD' ones of Tasks 4-5 and Task 1's."""
    rms = TASK_ROWS["task2 rmsprop lr 0.5"]
    same = []
    for label in ("task1 with normalization", "task5 without dropout (from task 2)"):
        row = TASK_ROWS[label]
        if all(
            math.isclose(float(a), float(b), rel_tol=1e-9) for a, b in zip(rms, row, strict=True)
        ):
            same.append(label)
    if same:
        return Verdict(
            "report_wrong", "",
            f"Task 2's RMSProp (lr 0.5) figures are, digit for digit up to rounding, those of "
            f"{' and '.join(same)}, which D's Tasks 4-5 call the best of Task 2 with 'optimizer: "
            "SGD, learning rate: 0.5': one set of figures under two optimizers",
        )  # fmt: skip
    return Verdict("reproduced", "", "the rows differ")


def _dropout_text(c: Claim) -> Verdict:
    with_d = float(TASK_ROWS["task5 with dropout"][3])
    without = float(TASK_ROWS["task5 without dropout (from task 2)"][3])
    if with_d < without:
        return Verdict(
            "report_wrong", "",
            f"D's own table: validation accuracy {with_d:.4f} with dropout, {without:.4f} "
            "without; the text says the one with dropout is higher",
        )  # fmt: skip
    return Verdict("reproduced", "", "the table agrees with the text")


#: The one model D's Tasks 4 and 5 both take from Task 2 (SGD, lr 0.5, one layer).
ONE_MODEL = Open(
    "what the rows of the one-layer SGD model are",
    {"one run of Task 2, reported twice": CHECK, "Task 4 retrained it (two runs)": CHECK},
)


def _one_model_two_rows(c: Claim) -> Verdict:
    """Task 4's 'One Layer' row and Task 5's 'Without Dropout (From task 2)' row."""
    t4 = [float(v) for v in TASK_ROWS["task4 one layer"]]
    t5 = [float(v) for v in TASK_ROWS["task5 without dropout (from task 2)"]]
    same = all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(t4, t5, strict=True))
    rows = (f"Task 4: validation accuracy {t4[3]:.4f}, training accuracy {t4[2]:.4f}; "
            f"Task 5: {t5[3]:.4f} and {t5[2]:.4f}")  # fmt: skip
    readings = [
        Reading("one run of Task 2, reported twice", same, rows),
        Reading("Task 4 retrained it (two runs)", True,
                "two trainings of one model may differ; the report gives no seed and no "
                "second run to say by how much"),
    ]  # fmt: skip
    v = from_readings(readings)
    if same:
        return v
    return dataclasses.replace(
        v,
        ours=rows,
        explanation=(
            f"{v.explanation}. Both rows name the same model (Task 4: 'the one layer model "
            f"(in task 2)', Task 5: 'From task 2') and give two validation accuracies, "
            f"{t4[3]:.4f} and {t5[3]:.4f}; if both are Task 2's figures the report "
            "contradicts itself, if Task 4 ran the model again they are two runs. Task 5's "
            "row is the one equal to Task 2's RMSProp row (D.task2.duplicate_rows)"
        ),
    )


def _task4_test_order(c: Claim) -> Verdict:
    """D's sentence on Task 4's test table, and the results 'generated before'."""
    one, two = (float(TASK4_TEST[k][1]) for k in ("one layer", "two layer"))
    r1, r2 = TASK_ROWS["task4 one layer"], TASK_ROWS["task4 two layer"]
    before = float(r1[3]) > float(r2[3]) and float(r1[2]) > float(r2[2])
    lower_loss = float(r1[1]) < float(r2[1]) and float(r1[0]) < float(r2[0])
    ours = f"test accuracy: one layer {one:.4f}, two layers {two:.4f}"
    if one > two and before and lower_loss:
        return Verdict(
            "reproduced", ours,
            f"D's own tables agree: the one-layer model is ahead on test accuracy (by "
            f"{one - two:.4f}), on validation and training accuracy and on both losses of "
            "Task 4's first table, as the sentence says",
        )  # fmt: skip
    return Verdict("report_wrong", ours, "D's own Task 4 tables do not order the models so")


def claims() -> list[Claim]:
    """Report D's claims, in the report's order.

    >>> [c.id for c in claims()][:2]
    ['D.q1.linear', 'D.q1.no_effect']
    """
    task: dict[str, Any] = {"stated": {"batch": "64", "transforms": "Grayscale, ToTensor, Normalize(0.5, 0.5)"},
            "open": ("the image set", "the model", "epochs"), "chapter": "part4/report_d"}  # fmt: skip
    q1 = _q1
    return [
        Claim("D.q1.linear", "D", "Question 1",
              "we have shown that I_2 can be expressed as $W'X + b_2'$", "",
              lambda c: _ok(q1()[0], "sympy: the second derivative in X is 0 and the slope is "
                            "a^2 W_2 W_1", "not linear"),
              check="Part I: sympy on two linear layers", chapter="part1/activations"),
        Claim("D.q1.no_effect", "D", "Question 1",
              "back propagation will not have any effect since the derivative is constant", "",
              lambda c: Verdict("reproduced" if q1()[1] else "report_wrong", "",
                                "the derivative of the output in W_1 is a^2 W_2 X: it changes "
                                "with W_2 and the input, so gradient descent still moves the "
                                "weights (a linear net trains; it only stays linear)"),
              check="Part I: sympy, d I_2 / d W_1", chapter="part1/activations"),
        Claim("D.q2.w3", "D", "Question 2", Q2["result"], Q2["result"], _q2,
              stated={k: v for k, v in Q2.items() if k != "result"},
              check="D's chain rule evaluated at D's numbers", chapter="part1/activations"),
        Claim("D.q3.counts", "D", "Question 3",
              r"$$20 \times 36 \times (50 \times 16 + 50 \times 16 - 1) = 1151280.$$", Q3["conv"],
              _q3_counts, check="Part I: counting.report_d_q3", chapter="part1/counting"),
        Claim("D.q3.pool_flops", "D", "Question 3",
              "there are 9 pixels per filter so each pooling accords for 9 FLOPS", Q3["pool"],
              _q3_pool, check="D's sentence against D's sum", chapter="part1/counting"),
        Claim("D.q4.filter", "D", "Question 4", "$$F = 5$$", "", _q4_filter,
              check="Part I: counting.conv_output_size", chapter="part1/counting"),
        Claim("D.q4.layers", "D", "Question 4",
              "156 ... 48120 ... 10164 ... 850", LENET["C5"], _lenet_layers,
              check="Part I: counting.lenet5_table", chapter="part1/counting"),
        Claim("D.q4.c3", "D", "Question 4", r"$$= 6 \times 26 \times 16 = 2496$$", LENET["C3"],
              _lenet_c3, check="Part I: the lenet-c3 slip", chapter="part1/slips"),
        Claim("D.q4.total", "D", "Question 4",
              "Total: $156 + 2496 + 48120 + 10164 + 850 = 61786$", LENET["total"], _lenet_total,
              experiment="part4/lenet5", runs=("lenet5_gray",), chapter="part4/lenet5"),
        Claim("D.q5.inputs", "D", "Question 5",
              "we have shown that the gradient of g does not depend on any of the input x_i", "",
              _q5, check="Part I: the depends-on-inputs slip, and sympy on D's expression",
              chapter="part1/slips", open=(Q5_READING.setting,), readings=(Q5_READING,)),
        Claim("D.q6b.logistic", "D", "Question 6b",
              r"Let $f(x)$ represents the logistic regression function such that "
              r"$f(x) = \frac{1-e^{-x}}{1+e^{-x}}$", "",
              _slip("logistic-label", "that function is 2 sigma(x) - 1 = tanh(x/2)"),
              check="Part I: the logistic-label slip", chapter="part1/slips"),
        Claim("D.q6b.tanh_grad", "D", "Question 6b", "$$= 4f(2x) - 4f^2(2x)$$", "",
              lambda c: _ok(_tanh_grad(), "with f the logistic sigma, tanh'(x) = 4 sigma(2x) "
                            "(1 - sigma(2x)): sympy agrees", "sympy disagrees"),
              check="Part I: sympy", chapter="part1/activations"),
        Claim("D.task1.normalise", "D", "Task 1",
              "Since both the training accuracies and validation accuracies improve with "
              "normalization", TASK_ROWS["task1 with normalization"][3],
              _proxy("the book's grayscale CIFAR-10 proxy (test accuracy) is shown beside them",
                     _preprocessing_proxy),
              experiment="part4/d_preprocessing", **task),
        Claim("D.task1.blur", "D", "Task 1",
              "the validation loss is actually larger when a gaussian filter is applied",
              TASK_ROWS["task1 with gaussian"][1],
              _proxy("the book's grayscale CIFAR-10 proxy (test accuracy) is shown beside them",
                     _preprocessing_proxy),
              experiment="part4/d_preprocessing", **task),
        Claim("D.task2.best_lrs", "D", "Task 2",
              "Optimizer: Adadelta, Learning rate: 0.5 ... RMSProp, Learning rate: 0.5 ... Adam, "
              "Learning rate: 0.001 ... SGD, Learning rate: 0.5", BEST_LRS["adadelta"],
              _proxy("on grayscale CIFAR-10 only Adam's best rate is D's", _best_lrs_proxy),
              experiment="part4/d_grid", **task),
        Claim("D.task2.duplicate_rows", "D", "Task 2 and Tasks 4-5",
              "Using the best set of parameters in task 2 (optimizer: SGD, learning rate: 0.5)",
              TASK_ROWS["task2 rmsprop lr 0.5"][0], _duplicate_rows,
              check="D's Task 1, 2 and 5 rows compared", chapter="part4/report_d"),
        Claim("D.task3.hidden", "D", "Task 3",
              "I ran the model with 100 units on the testing set", HIDDEN100_TEST,
              _proxy("the proxy's wider nets are shown", _hidden_proxy),
              experiment="part4/d_grid", **task),
        Claim("D.task4.layers", "D", "Task 4",
              "the one layer model has a slightly lower validation loss compared to the two "
              "layer models", TASK_ROWS["task4 one layer"][1],
              _proxy("on grayscale CIFAR-10 two layers do slightly better", _layers_proxy),
              experiment="part4/d_grid", **task),
        Claim("D.task4.test_order", "D", "Task 4",
              "the one layer model does in fact have a higher testing accuracy than the two "
              "layer model", TASK4_TEST["one layer"][1], _task4_test_order,
              check="D's sentence against its two Task 4 tables", chapter="part4/report_d"),
        Claim("D.task4_5.one_model_two_rows", "D", "Tasks 4 and 5",
              "One Layer ... 0.919 ... Without Dropout (From task 2) ... 0.9239999999523",
              TASK_ROWS["task4 one layer"][3], _one_model_two_rows,
              open=(ONE_MODEL.setting,), readings=(ONE_MODEL,),
              check="D's Task 4 row against its Task 5 row", chapter="part4/report_d"),
        Claim("D.task5.dropout_text", "D", "Task 5",
              "the final validation accuracy from the model with dropout is slightly higher than "
              "that of the model without dropout", TASK_ROWS["task5 with dropout"][3],
              _dropout_text, check="D's sentence against D's Task 5 table",
              chapter="part4/report_d"),
        Claim("D.losses.floor", "D", "Tasks 1-5",
              "Final Losses 1.509453068033854 ... Final Accuracies 0.9536666666666666",
              TASK_ROWS["task1 with normalization"][0],
              _proxy("losses near 1.5 at 95% accuracy fit a softmax layer before "
                     "CrossEntropyLoss, but D's model code is not in the report", _loss_floor_proxy),
              check="the floor of cross-entropy after a softmax layer, log(e + K - 1) - 1",
              **task),
        *_audit_claims(),
    ]  # fmt: skip


# ----------------------------------------------------------------------------- audit items
# Items of D that the audit of every report item (docs/part5/audit.md) found unclaimed.

#: Task 1: the mean and standard deviation of ``transforms.Normalize((0.5,), (0.5,))`` and
#: the range D says it gives ("normalize image in the range of [-1, 1]").
NORMALIZE = ("0.5", "0.5")
NORMALIZED_RANGE = ("-1", "1")
#: Question 6b: the three lines of D's derivative of the logistic function.
TANH_READING = Open(
    "which f D's 'tanh(x) = 2f(2x) - 1' uses",
    {"f as D defines it, (1 - e^-x) / (1 + e^-x)": CHECK,
     "f the logistic 1 / (1 + e^-x), as D's next derivation writes it": CHECK},
)  # fmt: skip


def _q2_forward(c: Claim) -> Verdict:
    y_hat = 1 / (1 + math.exp(-float(Q2["z3"])))
    ok = abs(y_hat - float(Q2["y_hat"])) < 5e-6
    return _ok(
        ok,
        f"sigma(z3) at D's z3 = {Q2['z3']} is {y_hat:.5f}: D's forward numbers agree with "
        "D's equation 2 (D's final value: D.q2.w3)",
        f"sigma(z3) at D's z3 = {Q2['z3']} is {y_hat:.5f}, not D's {Q2['y_hat']}",
        f"{y_hat:.5f}",
    )  # fmt: skip


@functools.lru_cache(maxsize=1)
def _q6() -> dict[str, bool]:
    x = sp.Symbol("x", real=True)
    s = sigmoid(x)
    d_fig = (1 - sp.exp(-x)) / (1 + sp.exp(-x))
    ds = sp.diff(s, x)
    oo = sp.oo
    return {
        "ranges": (sp.limit(sp.tanh(x), x, -oo), sp.limit(sp.tanh(x), x, oo),
                   sp.limit(s, x, -oo), sp.limit(s, x, oo)) == (-1, 1, 0, 1),
        "first": sp.simplify(ds - sp.exp(-x) / (1 + sp.exp(-x)) ** 2) == 0,
        "middle": sp.simplify(ds - (s - 1) * ds) == 0,
        "last": sp.simplify(ds - (s - s**2)) == 0,
        "tanh_logistic": sp.simplify((sp.tanh(x) - 2 * s.subs(x, 2 * x) + 1).rewrite(sp.exp)) == 0,
        "tanh_d_f": sp.simplify((sp.tanh(x) - 2 * d_fig.subs(x, 2 * x) + 1).rewrite(sp.exp)) == 0,
        "peak": (sp.diff(sp.tanh(x), x).subs(x, 0), ds.subs(x, 0)) == (1, sp.Rational(1, 4)),
        "odd": sp.simplify(sp.tanh(-x) + sp.tanh(x)) == 0 and sp.simplify(s.subs(x, 0)) != 0,
    }  # fmt: skip


def _logistic_derivative(c: Claim) -> Verdict:
    q = _q6()
    if q["first"] and q["last"] and not q["middle"]:
        return Verdict(
            "report_wrong", "",
            "sympy: the first line, e^-x / (1 + e^-x)^2, and the last, f(x) - f^2(x), are the "
            "logistic's derivative; the middle line, [f(x) - 1] f'(x), is not (it equals f' "
            "only where f = 2, which the logistic never reaches); [1 - f(x)] f(x) would be",
        )  # fmt: skip
    return Verdict("reproduced", "", "sympy accepts every line")


def _tanh_identity(c: Claim) -> Verdict:
    q = _q6()
    d_f, logistic = TANH_READING.values
    return from_readings([
        Reading(d_f, q["tanh_d_f"], "sympy: with that f (tanh(x/2)), 2f(2x) - 1 is "
                "2 tanh(x) - 1, not tanh(x)"),
        Reading(logistic, q["tanh_logistic"], "sympy: tanh(x) = 2 sigma(2x) - 1"),
    ])  # fmt: skip


def _ranges(c: Claim) -> Verdict:
    return _ok(
        _q6()["ranges"],
        "sympy's limits: tanh runs from -1 to 1, the logistic from 0 to 1 (neither reaches "
        "its bounds)",
        "the limits differ",
    )


def _larger_derivative(c: Claim) -> Verdict:
    return _ok(
        _q6()["peak"],
        "sympy: tanh's derivative peaks at 1, the logistic's at 1/4, so the part on larger "
        "derivatives holds; 'convergence will be reached faster' is not judged (D runs no "
        "tanh-against-logistic study, and neither does the book for D)",
        "the derivatives at 0 differ from 1 and 1/4",
    )  # fmt: skip


def _normalize_range(c: Claim) -> Verdict:
    mean, std = (float(v) for v in NORMALIZE)
    lo, hi = ((v - mean) / std for v in (0.0, 1.0))  # ToTensor gives [0, 1]
    ok = (lo, hi) == tuple(float(v) for v in NORMALIZED_RANGE)
    return _ok(ok, f"ToTensor's [0, 1] through (x - {mean}) / {std} is [{lo:g}, {hi:g}]",
               f"ToTensor's [0, 1] maps to [{lo:g}, {hi:g}]")  # fmt: skip


def _own_table(first: str, second: str, cols: tuple[int, ...], higher: bool, what: str) -> Rule:
    """D's sentence that ``first`` beats ``second`` on ``cols`` of its own Task 1 table."""

    def rule(c: Claim) -> Verdict:
        a, b = TASK_ROWS[first], TASK_ROWS[second]
        ok = all((float(a[i]) > float(b[i])) == higher for i in cols)
        names = ("training loss", "valid loss", "train accuracy", "valid accuracy")
        ours = "; ".join(f"{names[i]} {float(a[i]):.4f} vs {float(b[i]):.4f}" for i in cols)
        return _ok(ok, f"D's own Task 1 table agrees: {what}",
                   f"D's own Task 1 table does not show it: {what}", ours)  # fmt: skip

    return rule


def _smoother(c: Claim) -> Verdict:
    return Verdict(
        "not_reproducible", "",
        f"the four plots the sentence reads are not in the report's text, and their runs are "
        f"on {D_DATA}; the part of the sentence on accuracy is judged in D.task5.dropout_text",
    )  # fmt: skip


def _symmetric(c: Claim) -> Verdict:
    return _ok(
        _q6()["odd"],
        "sympy: tanh(-x) = -tanh(x), so inputs of mean 0 symmetric about 0 give outputs of "
        "mean 0, while the logistic is 1/2 at 0; that this makes backpropagation 'more "
        "efficient' is not judged (no study of D's compares them)",
        "sympy: tanh is not odd",
    )  # fmt: skip


def _audit_claims() -> list[Claim]:
    slips: dict[str, Any] = {"chapter": "part1/activations"}
    task1: dict[str, Any] = {
        "check": "D's sentence against its own Task 1 table",
        "chapter": "part4/report_d",
    }
    return [
        Claim("D.q2.forward", "D", "Question 2",
              r"-2 ||0.5 - 0.64545|| \frac{e^{-0.599098}}{(1 + e^{-0.599098})^2}", "",
              _q2_forward, check="D's equation 2 at D's z3", chapter="part1/activations"),
        Claim("D.q6a.ranges", "D", "Question 6a",
              "the range of Tanh(x) function is from -1 to 1 whereas it is 0 to 1 for the "
              "logistic", "", _ranges, check="Part I: sympy limits", **slips),
        Claim("D.q6b.tanh_identity", "D", "Question 6b", "= 2f(2x) - 1", "", _tanh_identity,
              open=(TANH_READING.setting,), readings=(TANH_READING,),
              check="Part I: sympy under both of D's f", **slips),
        Claim("D.q6b.logistic_derivative", "D", "Question 6b", "= [f(x)-1]f'(x)", "",
              _logistic_derivative, check="Part I: sympy, line by line", **slips),
        Claim("D.q6c.symmetric", "D", "Question 6c", "It is symmetric around 0", "",
              _symmetric, check="Part I: sympy, tanh(-x) and the logistic at 0", **slips),
        Claim("D.q6c.derivatives", "D", "Question 6c",
              "As a result, leads to larger derivatives", "", _larger_derivative,
              check="Part I: sympy, both derivatives at 0", **slips),
        Claim("D.task1.range", "D", "Task 1",
              "normalize image in the range of [-1, 1]", "", _normalize_range,
              check="Normalize(0.5, 0.5) applied to ToTensor's range", chapter="part4/report_d"),
        Claim("D.task1.normalise_table", "D", "Task 1",
              "both the training accuracies and validation accuracies improve with normalization",
              TASK_ROWS["task1 with normalization"][2],
              _own_table("task1 with normalization", "task1 without normalization", (2, 3),
                         True, "both accuracies are higher with normalization"), **task1),
        Claim("D.task1.blur_table", "D", "Task 1",
              "the validation loss is actually larger when a gaussian filter is applied",
              TASK_ROWS["task1 with gaussian"][1],
              _own_table("task1 with gaussian", "task1 with normalization", (1,), True,
                         "the validation loss is larger with the Gaussian blur"), **task1),
        Claim("D.task5.smoother", "D", "Task 5",
              "it is very clear that the validation curve in the model with a dropout layer is "
              "smoother", "", _smoother, check="none possible: D's plots and image set",
              chapter="part4/report_d"),
    ]  # fmt: skip


#: Report D's claims.
CLAIMS: tuple[Claim, ...] = tuple(claims())
