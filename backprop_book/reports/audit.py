"""The audit of every checkable item of the five reports, each with the claims that judge it.

An *item* is what a careful reader can check in a report: a figure in a table, a stated
result, a formula or derivation, a count, a comparison or a conclusion, and every place
where the text contradicts its own table, figure or listing.  :data:`ITEMS` lists them
report by report, in the report's order, each with the ids of the claims
(:mod:`backprop_book.reports`) that judge it.  The item's words describe it; its figures
live in the claims (typed once, in the report's module), so :func:`rows` reads them from
there with each claim's verdict.

The tests hold the audit to two rules: every item names at least one claim, and every
claim belongs to at least one item (:func:`unaudited`).

>>> missing = [i for i in ITEMS if not i.claims]
>>> missing, unaudited()
([], [])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backprop_book.reports import all_claims, claim

__all__ = ["ITEMS", "Item", "coverage", "rows", "unaudited"]


@dataclass(frozen=True)
class Item:
    """One checkable item of a report and the claims that judge it.

    Attributes
    ----------
    report
        ``"A"`` ... ``"E"``.
    where
        The report's section, table, figure or question.
    what
        The item in words (its figures are read from the claims).
    claims
        Ids of the claims that judge it, e.g. ``("A.table2.fc2", "A.table2.fc3")``.
    """

    report: str
    where: str
    what: str
    claims: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.report not in ("A", "B", "C", "D", "E"):
            raise ValueError(f"item {self.what!r}: report must be 'A'...'E', got {self.report!r}")
        wrong = [c for c in self.claims if not c.startswith(f"{self.report}.")]
        if wrong:
            raise ValueError(f"item {self.what!r} of report {self.report}: claims {wrong}")


def _fc(suffix: str = "") -> tuple[str, ...]:
    return tuple(f"A.table2.fc{k}{suffix}" for k in (2, 3, 4, 5))


def _b2(suffix: str = "", models: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)) -> tuple[str, ...]:
    return tuple(f"B.table2.model{k}{suffix}" for k in models)


It = Item  # the table below reads better with a short name

#: Every checkable item of the five reports, in each report's order.
ITEMS: tuple[Item, ...] = (
    # ------------------------------------------------------------------ report A
    It("A", "Problem 1", "the back-propagation derivatives of an MLP: dL/dh_(l-1), dL/dw_l, "
      "dL/db_l", ("A.q1.backprop",)),
    It("A", "Figure 1", "the listing of the 5-layer fully connected net: layer sizes and their "
      "parameter count against Table 2", ("A.fig1.listing",)),
    It("A", "Section 2.1", "'The ReLU ... is formulated as' a Bernoulli draw of a sigmoid, against "
      "the listing's 10 outputs and the softmax at the top", ("A.fc.relu_formula",)),
    It("A", "Section 2.1", "the SGD update theta - eta L_i'(theta), and 'the gradient is computed "
      "using SGD'", ("A.sgd.update",)),
    It("A", "Table 1", "the batch Table 1's losses are logged at: the batch size it implies", ("A.table1.batches",)),
    It("A", "Table 1", "training loss per epoch for 2-5 linear layers, and its order by depth",
      ("A.table1.loss_order",)),
    It("A", "Table 2", "test accuracy per depth", _fc()),
    It("A", "Table 2", "train accuracy per depth", _fc("_train")),
    It("A", "Table 2 vs Table 1", "Table 2's train and test loss columns against Table 1's "
      "epoch-10 losses of the same nets", ("A.tables.fc_loss_scale",)),
    It("A", "Table 2", "trainable parameters per depth", ("A.table2.params",)),
    It("A", "Figure 2 text vs Table 2", "'the training and testing loss and accuracy increases' "
      "with the number of layers", ("A.fig2.text",)),
    It("A", "Section 2.1", "more parameters, 'higher accuracy': test accuracy ordered by depth",
      ("A.table2.depth_order",)),
    It("A", "Figure 3 text vs Table 3", "'about' the same training and testing accuracy, and "
      "the overall one", ("A.fig3.about_60", "A.table3.relu")),
    It("A", "Figure 4", "the accuracy on twenty sample images, and whether it means anything",
      ("A.fig4.sample",)),
    It("A", "Table 3", "test accuracy per activation (the batch size left open: Figure 3's "
      "'32 batches')", ("A.table3.relu", "A.table3.leaky_relu", "A.table3.tanh")),
    It("A", "Table 3", "train accuracy per activation",
      ("A.table3.relu_lr0.001_conv2_train", "A.table3.leaky_relu_train", "A.table3.tanh_train")),
    It("A", "Table 3", "the scale of the loss columns (a loss divided by the batch size)",
      ("A.table3.loss_scale",)),
    It("A", "Table 3 text", "'Tanh has the highest training and testing accuracy'",
      ("A.table3.tanh_best",)),
    It("A", "Table 4", "accuracies per learning rate",
      ("A.table4.lr0.0005", "A.table4.lr0.01", "A.table4.lr0.0005_train", "A.table4.lr0.01_train")),
    It("A", "Table 4 text", "'the learning rate of 0.01 has better performance'",
      ("A.table4.lr_best",)),
    It("A", "Tables 3-5", "the default row printed three times, with two different train losses",
      ("A.tables.default_row",)),
    It("A", "Table 5", "one conv layer: a test accuracy below chance for a net that trains",
      ("A.table5.conv1", "A.table5.conv1_train")),
    It("A", "Table 5", "three conv layers: accuracies", ("A.table5.conv3", "A.table5.conv3_train")),
    It("A", "Table 5 text", "'three convolutional layers perform better'", ("A.table5.conv3_best",)),
    It("A", "Table 5 text, abstract", "three conv layers 'have much more parameters'",
      ("A.table5.conv3_params",)),
    It("A", "Figure 6", "the doubled-channel listing: its shapes and channels against the text",
      ("A.fig6.listing",)),
    It("A", "Figure 7", "doubled channels raise training and testing accuracy",
      ("A.fig7.double_channels",)),
    It("A", "Conclusion, abstract", "the number of conv layers has 'the biggest impact'",
      ("A.conclusion.conv_layers",)),
    # ------------------------------------------------------------------ report B
    It("B", "Q1 part A, Figure 1", "scores against the reference", ("B.q1a.scores",)),
    It("B", "Q1 part B, Figure 2", "loss against the reference", ("B.q1b.loss",)),
    It("B", "Q1 part C", "no for loop in the implementation", ("B.q1c.no_loops",)),
    It("B", "Q2 part a", "the softmax cross-entropy gradient (Psi - Delta) / N",
      ("B.q2a.softmax",)),
    It("B", "Q2 parts b-c", "the gradients of every parameter with L2", ("B.q2bc.gradients",)),
    It("B", "Q2 parts b-c", "the first lines for w1 and the regulariser, before B corrects "
      "them", ("B.q2bc.first_lines",)),
    It("B", "Q2 part D, Figure 3", "four max relative errors of the gradient check",
      ("B.q2d.gradcheck",)),
    It("B", "Q3 part A", "toy training loss below the exercise's bound", ("B.q3a.toy_loss",)),
    It("B", "Q3 part B, Figure 5", "the first loss of the default run", ("B.q3b.loss0",)),
    It("B", "Q3 part B, Figure 5", "the default run's validation accuracy", ("B.q3b.default",)),
    It("B", "Q3 part B vs Figure 5", "the text calls the validation accuracy a 'loss'",
      ("B.q3b.loss_word",)),
    It("B", "Q3", "early stopping gave no convincing gain", ("B.q3.early_stopping",)),
    It("B", "Q3", "PCA made it worse", ("B.q3.pca",)),
    It("B", "Q3", "flips and scaling helped", ("B.q3.augmentation",)),
    It("B", "Table 1", "validation accuracy of the top four models",
      ("B.table1.model1", "B.table1.model2", "B.table1.model3", "B.table1.model4")),
    It("B", "Q3 text vs Table 1 and Figure 6", "the best model's validation accuracy and its "
      "settings: Table 1's best row is Figure 6", ("B.table1.best_row",)),
    It("B", "Q3 text vs Figure 6", "the best model's width in the text against Figure 6",
      ("B.best.text_width",)),
    It("B", "Figure 6", "the best model's test accuracy", ("B.best.test",)),
    It("B", "Figure 6", "the best model's training time", ("B.best.time",)),
    It("B", "Q4 part B, Table 2", "the 2-layer net of 50 hidden units", ("B.table2.model1",)),
    It("B", "Q4 part C", "ReLU chosen as better than sigmoid and tanh", ("B.q4c.relu_choice",)),
    It("B", "Q4 part C vs Table 2 and Figure 9", "Model 5 the best, and its widths", ("B.q4c.best_model",)),
    It("B", "Table 2", "validation accuracy of seven models", _b2()),
    It("B", "Table 2", "train accuracy, 'a mean of the accuracy on each sample'",
      _b2("_train", (1, 2, 3, 4, 5))),
    It("B", "Q4 part C", "validation above training accuracy 'in general'",
      ("B.q4c.val_above_train",)),
    It("B", "Q4 part C, Table 2", "more than 3 layers: accuracy falls to a single digit",
      ("B.q4c.depth_collapse", "B.table2.model6", "B.table2.model7")),
    It("B", "Figure 8 vs Table 2", "the printed train and validation accuracy, steps an "
      "epoch", ("B.fig8.figures",)),
    It("B", "Figure 8", "the training time", ("B.fig8.time",)),
    It("B", "Figure 9", "test accuracy of the best model", ("B.q4c.test",)),
    # ------------------------------------------------------------------ report C
    It("C", "Q1", "the two bullets: gradients of X / Y in X and Y", ("C.q1.bullets",)),
    It("C", "Q1", "the summary sentence of the two gradients", ("C.q1.summary",)),
    It("C", "Q2", "the gradient of X through the loss", ("C.q2.x_grad",)),
    It("C", "Q2", "the gradient of Y through the loss", ("C.q2.y_grad",)),
    It("C", "Q2", "the element-wise rule in words", ("C.q2.text",)),
    It("C", "Q3", "the matrix product's gradients in X and W", ("C.q3.x_grad", "C.q3.w_grad")),
    It("C", "Q4", "the expand op's gradient", ("C.q4.expand",)),
    It("C", "Q5", "c.value, c.source, its inputs, a.grad", ("C.q5.grad",)),
    It("C", "Q6-Q7", "where the course's core.py adds and calls backward", ("C.q6q7.code",)),
    It("C", "Q8", "the Normalize op's backward code", ("C.q8.normalize_code",)),
    It("C", "Q8", "the forward formula Y = sum x / Y", ("C.q8.normalize_formula",)),
    It("C", "Q8", "the backward derivation", ("C.q8.backward_derivation",)),
    It("C", "Q10 a-d", "overall accuracy with SGD, Adam, Adam lr 0.1, Adam 5 epochs",
      ("C.q10.sgd", "C.q10.adam", "C.q10.adam_lr0.1", "C.q10.adam_5_epochs")),
    It("C", "Figure 1 vs Q10", "the per-class accuracies against the overall figures",
      ("C.fig1.per_class",)),
    It("C", "Q10 b", "Adam 'worst than' SGD; 'doesn't change'",
      ("C.q10.order", "C.q10.adam_no_change")),
    It("C", "Q10", "Adam 'gave a significant improvement'", ("C.q10.adam_improvement",)),
    It("C", "Results and discussion", "the figure numbers the text refers to",
      ("C.results.figure_refs",)),
    It("C", "Methodology", "'total four network' against the set-ups trained",
      ("C.strategy.four",)),
    It("C", "Q9, Figure 2", "sigmoid flat, then improving after some epochs",
      ("C.q9.sigmoid_plateau",)),
    It("C", "Q9, Figure 2", "sigmoid worse than ReLU", ("C.q9.sigmoid_worse",)),
    It("C", "Q9, Figure 2", "2-layer ReLU close to its stated accuracy", ("C.q9.relu2",)),
    It("C", "Q9, Figure 2", "3-layer ReLU similar to 2-layer", ("C.q9.relu3",)),
    It("C", "Q9, Figure 3", "the 'momentum' schedule: good, then a drop", ("C.q9.momentum",)),
    It("C", "Code snippet", "MLP3L's parameters() leaves out layer3", ("C.q9.mlp3l_parameters",)),
    # ------------------------------------------------------------------ report D
    It("D", "Question 1", "two linear layers are one linear map", ("D.q1.linear",)),
    It("D", "Question 1", "backpropagation 'will not have any effect'", ("D.q1.no_effect",)),
    It("D", "Question 2", "the forward value y_hat = sigma(z3) at D's numbers", ("D.q2.forward",)),
    It("D", "Question 2", "dL/dw3 at D's numbers", ("D.q2.w3",)),
    It("D", "Question 3", "operations of the conv layer and totals", ("D.q3.counts",)),
    It("D", "Question 3", "FLOPs per pooling window: text against sum", ("D.q3.pool_flops",)),
    It("D", "Question 4", "filter size from the layer sizes", ("D.q4.filter",)),
    It("D", "Question 4", "LeNet-5's parameters per layer", ("D.q4.layers", "D.q4.c3")),
    It("D", "Question 4", "LeNet-5's total", ("D.q4.total",)),
    It("D", "Question 5", "the gradient 'does not depend on any of the input x_i'",
      ("D.q5.inputs",)),
    It("D", "Question 6a", "the ranges of tanh and the logistic", ("D.q6a.ranges",)),
    It("D", "Question 6b", "f called the logistic function", ("D.q6b.logistic",)),
    It("D", "Question 6b", "tanh(x) = 2 f(2x) - 1", ("D.q6b.tanh_identity",)),
    It("D", "Question 6b", "the logistic's derivative, line by line",
      ("D.q6b.logistic_derivative",)),
    It("D", "Question 6b", "tanh' = 4 f(2x) - 4 f^2(2x)", ("D.q6b.tanh_grad",)),
    It("D", "Question 6c", "tanh 'symmetric around 0'", ("D.q6c.symmetric",)),
    It("D", "Question 6c", "tanh's 'larger derivatives'", ("D.q6c.derivatives",)),
    It("D", "Task 1", "Normalize(0.5, 0.5) gives the range [-1, 1]", ("D.task1.range",)),
    It("D", "Task 1", "normalization improves both accuracies: D's table and a rerun",
      ("D.task1.normalise_table", "D.task1.normalise")),
    It("D", "Task 1", "the Gaussian blur raises the validation loss: D's table and a rerun",
      ("D.task1.blur_table", "D.task1.blur")),
    It("D", "Task 2", "the best learning rate per optimizer", ("D.task2.best_lrs",)),
    It("D", "Task 2 vs Tasks 1, 4, 5", "one set of figures under two optimizers",
      ("D.task2.duplicate_rows",)),
    It("D", "Task 3", "the width chosen; its test figures", ("D.task3.hidden",)),
    It("D", "Task 4", "one layer: a slightly lower validation loss, a higher test accuracy",
      ("D.task4.layers", "D.task4.test_order")),
    It("D", "Tasks 4 and 5", "one model, two validation accuracies",
      ("D.task4_5.one_model_two_rows",)),
    It("D", "Task 5", "dropout's validation accuracy 'slightly higher'", ("D.task5.dropout_text",)),
    It("D", "Task 5", "dropout's validation curve 'smoother'", ("D.task5.smoother",)),
    It("D", "Tasks 1-5", "final losses far above zero at high accuracy", ("D.losses.floor",)),
    # ------------------------------------------------------------------ report E
    It("E", "Section 2.1", "'ReLU is linear', derivative 1 or 0", ("E.alexnet.relu_linear",)),
    It("E", "Section 3.1", "CIFAR-10's images, classes and split", ("E.dataset.sizes",)),
    It("E", "Section 3.2 and listing", "the eight layers and the listing's shapes",
      ("E.listing.alexnet",)),
    It("E", "Table 1 vs section 4.3", "the tuning order", ("E.table1.order",)),
    It("E", "Figure 3", "without batch norm better", ("E.fig3.batch_norm",)),
    It("E", "Figure 4", "Adam far better than SGD", ("E.fig4.adam_sgd",)),
    It("E", "Figure 5", "lr 1e-3 similar to 1e-4", ("E.fig5.lr_similar",)),
    It("E", "Section 4.3, Figure 5", "both runs 'nearly' E's accuracy late in training", ("E.fig5.near70",)),
    It("E", "Section 4.3, Figure 5", "lr 1e-3 'can converge faster'", ("E.fig5.faster",)),
    It("E", "Figure 5", "lr 1e-5 lower", ("E.fig5.lr_small",)),
    It("E", "Figure 6", "batch 10 lower", ("E.fig6.batch_small",)),
    It("E", "Section 4.4, Figure 6", "batch 100 and 500 reach a 'decent test accuracy'",
      ("E.fig6.decent70",)),
    It("E", "Figure 6", "overfitting in the last epochs", ("E.fig6.overfit",)),
    It("E", "Section 4.5", "the best accuracy", ("E.final",)),
    It("E", "Question 1", "division's gradients", ("E.q1.division",)),
    It("E", "Question 2", "the element-wise gradient", ("E.q2.elementwise",)),
    It("E", "Question 3", "the matrix product's gradient", ("E.q3.matmul",)),
    It("E", "Question 4", "the expand op's gradient", ("E.q4.expand",)),
    It("E", "Question 5", "c.value, c.source, its inputs, a.grad", ("E.q5.grad",)),
    It("E", "Question 5", "the printed example of c.value", ("E.q5.value",)),
    It("E", "Questions 6-7", "where the course's core.py runs forward and backward",
      ("E.q6q7.code",)),
    It("E", "Question 8", "the sum's gradient", ("E.q8.sum",)),
    It("E", "Question 9", "a large learning rate kills the ReLUs, and the log fails",
      ("E.q9.large_lr",)),
    It("E", "Code snippet", "the ReLu op's backward", ("E.code.relu",)),
    It("E", "Figure 7", "sigmoid faster, then equal to ReLU", ("E.fig7.activations",)),
    It("E", "Figure 8", "the new model better", ("E.fig8.new_model",)),
    It("E", "Figure 9 text", "the He formula in code", ("E.fig9.he_formula",)),
    It("E", "Figure 9", "the best accuracy", ("E.fig9.best",)),
    It("E", "Figure 9", "initialisation 'has big influence'", ("E.fig9.init_matters",)),
)  # fmt: skip


def unaudited() -> list[str]:
    """Ids of claims that no item of :data:`ITEMS` names (the tests keep it empty)."""
    named = {cid for item in ITEMS for cid in item.claims}
    return [c.id for c in all_claims() if c.id not in named]


def coverage() -> dict[str, dict[str, int]]:
    """Per report: the number of items and of claims the audit names.

    >>> cov = coverage()
    >>> sorted(cov), cov["A"]["items"] > 0
    (['A', 'B', 'C', 'D', 'E'], True)
    """
    out: dict[str, dict[str, int]] = {}
    for item in ITEMS:
        row = out.setdefault(item.report, {"items": 0, "claims": 0})
        row["items"] += 1
        row["claims"] += len(item.claims)
    return out


def rows(report: str | None = None) -> list[dict[str, Any]]:
    """The audit table: one row per item, with each claim's published figure and verdict.

    ``report`` keeps one report's items (``"A"`` ... ``"E"``).  Every claim named is
    judged (:meth:`~backprop_book.reports.claims.Claim.verdict`), so the table is as
    current as the records it reads.

    >>> r = rows("A")[0]
    >>> r["report"], r["claims"][0]["id"], r["claims"][0]["verdict"]
    ('A', 'A.q1.backprop', 'reproduced')
    """
    if report is not None and str(report).upper() not in ("A", "B", "C", "D", "E"):
        raise ValueError(f"expected a report label A-E, got {report!r}")
    out = []
    for item in ITEMS:
        if report is not None and item.report != str(report).upper():
            continue
        judged = []
        for cid in item.claims:
            c = claim(cid)
            v = c.verdict()
            judged.append(
                {"id": cid, "published": c.published, "verdict": v.kind, "label": v.label}
            )
        out.append({"report": item.report, "where": item.where, "what": item.what,
                    "claims": judged})  # fmt: skip
    return out
