"""Report A (statistics course, homework 1): MLP backprop, FC depth, CNN variants on CIFAR-10.

A's figures are typed here once, as A prints them.  A's CNN section never states
its batch size: the tutorial it follows uses 4, while its Figure 3 caption reads
"32 batches" and its tabled losses (about 0.036) are a cross-entropy near 1.15
divided by 32.  Every CNN claim is therefore judged under both readings
(``part4/a_cnn_studies`` at batch 4, ``part4/a_cnn_studies_b32`` at batch 32).
The FC part's batch is fixed by Table 1's "12,000th batch" of each epoch (50,000
images in batches of 4 make 12,500).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import statistics
from collections.abc import Callable, Sequence
from typing import Any, Literal

from backprop_book.reports.claims import (
    CHECK,
    Claim,
    Open,
    Reading,
    Rule,
    Verdict,
    accuracy_tolerance,
    compare_accuracy,
    fmt_spread,
    from_readings,
    pending,
    record,
    record_problem,
    reproduce_command,
    seed_outputs,
    seed_rows,
    seed_values,
)
from backprop_book.symbolic.counting import conv_output_size
from backprop_book.symbolic.mlp import verify_mlp_backward

__all__ = ["CLAIMS", "TABLE1_EPOCH10", "TABLE2", "TABLE3", "TABLE4", "TABLE5", "claims"]

#: Test images of CIFAR-10 (A's test set and the book's).
N_TEST = 10_000

#: "The overall accuracy of the default model is 59%" (section 2.2.1).
OVERALL = "59%"

#: Table 1, epoch 10: training loss at the 12,000th batch, 2-5 linear layers.
TABLE1_EPOCH10 = {"fc2": "1.215505", "fc3": "1.103396", "fc4": "0.998471", "fc5": "0.902194"}

#: Table 2: (train loss, train accuracy, test loss, test accuracy, parameters) per depth.
TABLE2 = {
    "fc2": ("0.24345", "0.6636", "0.42409", "0.4994", "369970"),
    "fc3": ("0.21209", "0.6952", "0.41165", "0.5072", "379774"),
    "fc4": ("0.16591", "0.7602", "0.43880", "0.5212", "828542"),
    "fc5": ("0.11859", "0.8301", "0.47987", "0.5401", "1746558"),
}

#: Tables 3-5: (train loss, train accuracy, test loss, test accuracy), keyed by the
#: book's run names (``relu_lr0.001_conv2`` is the default row of every table).
TABLE3 = {
    "relu_lr0.001_conv2": ("0.03423", "0.6134", "0.03610", "0.5930"),
    "leaky_relu": ("0.03507", "0.6029", "0.03588", "0.5931"),
    "tanh": ("0.02604", "0.7072", "0.03198", "0.6502"),
}
TABLE4 = {
    "lr0.0005": ("0.04399", "0.4937", "0.04407", "0.4961"),
    "relu_lr0.001_conv2": ("0.0323", "0.6134", "0.03610", "0.5930"),
    "lr0.01": ("0.02776", "0.6872", "0.03616", "0.6161"),
}
TABLE5 = {
    "conv1": ("0.04985", "0.42351", "0.051247", "0.03921"),
    "relu_lr0.001_conv2": ("0.0323", "0.6134", "0.03610", "0.5930"),
    "conv3": ("0.01463", "0.8347", "0.02833", "0.7195"),
}

B4, B32 = "part4/a_cnn_studies", "part4/a_cnn_studies_b32"
READINGS = (("batch 4 (the tutorial's)", B4), ("batch 32 (Figure 3's '32 batches')", B32))
CNN_STATED = {"epochs": "10", "optimizer": "the tutorial's SGD, lr 0.001 unless varied",
              "data": "CIFAR-10, all 50,000 / 10,000"}  # fmt: skip
CNN_OPEN = ("batch size (4 in the tutorial; '32 batches' in Figure 3)",)
TRAIN_OPEN = "how the training accuracy is measured"
#: The batch sizes A's text allows, each with the record that runs it.
BATCH = Open("batch size", {label: exp for label, exp in READINGS})
#: The three-conv network: A gives no listing of it; its Net2 listing (Figure 6, for the
#: doubled channels) has ``fc1 = nn.Linear(32 * 4 * 4, 120)``, the size after three
#: poolings of a 32 x 32 image, which points to a third conv-and-pool stage.  The book
#: runs both layouts: its own third layer (no third pooling; the run ``conv3`` of the two
#: batch studies) and the three-pooling net (:data:`POOL3`, runs ``batch4`` and
#: ``batch32``).
POOL3 = "part4/a_conv3_pool3"
BOOK_LAYOUT = "the book's: conv 16->32 k3 after the second pooling, fc 800-120-84-10"
POOL3_LAYOUT = "A's Net2 listing: three poolings before fc1 of 32 * 4 * 4"
CONV3_LAYOUT = Open("the three-conv layout", {BOOK_LAYOUT: B4, POOL3_LAYOUT: POOL3})


#: The tutorial's two convolutions: (in, out, kernel, padding) each.
TUTORIAL_CONVS = ((3, 6, 5, 0), (6, 16, 5, 0))
#: A's Figure 6 (Net2, "the channels were doubled"): its two convolutions, the
#: poolings its ``forward`` applies, and ``fc1``'s inputs as printed (32 * 4 * 4).
NET2: dict[str, Any] = {
    "convs": ((3, 12, 3, 1), (12, 32, 3, 1)),
    "pools": 2,
    "fc1_in": (32, 4, 4),
}


def _net2_listing(c: Claim) -> Verdict:
    """A's Figure 6 against its own sentence: channels doubled, and the listing runnable."""
    convs, side = NET2["convs"], 32
    for _, _, k, pad in convs:
        side = conv_output_size(side, k, pad)  # the convolution
        side = conv_output_size(side, 2, 0, 2)  # the 2 x 2 pooling after it
    reach = convs[-1][1] * side * side
    ch, kh, kw = NET2["fc1_in"]
    fc1 = ch * kh * kw
    doubled = all(o == 2 * t[1] for (_, o, _, _), t in zip(convs, TUTORIAL_CONVS, strict=True))
    same_kernels = all(
        (k, p) == (t[2], t[3]) for (_, _, k, p), t in zip(convs, TUTORIAL_CONVS, strict=True)
    )
    ours = f"the listing's forward reaches fc1 with {reach} features; fc1 takes {fc1}"
    if reach == fc1 and same_kernels:
        return Verdict("reproduced", ours, "the listing runs and only the channels change")
    held = "the channels hold: " + ", ".join(
        f"{t[1]} -> {o}" for (_, o, _, _), t in zip(convs, TUTORIAL_CONVS, strict=True)
    )
    held += " are doubled" if doubled else " are not all doubled"
    wrong = []
    if reach != fc1:
        wrong.append(
            f"the listing as printed cannot run on a 32 x 32 image: after {NET2['pools']} "
            f"poolings its forward gives {reach} features to an fc1 of {ch} * {kh} * {kw} = "
            f"{fc1} inputs (the size after three poolings)"
        )
    if not same_kernels:
        wrong.append(
            "and it is not the default with channels doubled: its kernels are 3 x 3 with "
            "padding 1 where the tutorial's are 5 x 5 without"
        )
    return Verdict("report_wrong", ours, f"{held}; {' '.join(wrong)}")


#: Table 2's "Train Loss" against Table 1's epoch-10 loss of the same networks.
FC_LOSS_SCALE = Open(
    "what Table 2's Train Loss measures",
    {"the same loss as Table 1 (the mean cross-entropy)": CHECK,
     "the batch-4 mean divided once more by the batch size": CHECK},
)  # fmt: skip


def _fc_loss_scale(c: Claim) -> Verdict:
    """Table 1 and Table 2 give two epoch-10 training losses for each network."""
    ratio = {k: float(TABLE1_EPOCH10[k]) / float(TABLE2[k][0]) for k in TABLE2}
    per_image = {k: 4 * float(TABLE2[k][0]) for k in TABLE2}
    # Table 1's running loss is the mean over the last 2000 batches of epoch 10; a loss
    # measured over the training set after the epoch is at most about that.
    fits = all(per_image[k] <= float(TABLE1_EPOCH10[k]) for k in TABLE2)
    same = all(math.isclose(r, 1.0, rel_tol=0.25) for r in ratio.values())
    rs = ", ".join(f"{k} {r:.2f}" for k, r in ratio.items())
    scaled = ", ".join(f"{k} {v:.3f}" for k, v in per_image.items())
    readings = [
        Reading("the same loss as Table 1 (the mean cross-entropy)", same,
                f"Table 1 / Table 2 at epoch 10: {rs}"),
        Reading("the batch-4 mean divided once more by the batch size", fits,
                f"times 4: {scaled}, each below Table 1's running loss"),
    ]  # fmt: skip
    v = from_readings(readings)
    return Verdict(
        v.kind, f"ratios {rs}",
        f"{v.explanation}: Table 2's training losses are {min(ratio.values()):.1f} to "
        f"{max(ratio.values()):.1f} times smaller than Table 1's for the same networks at the "
        "same epoch, so they cannot be the same quantity; A does not say how either was "
        "computed",
        v.readings,
    )  # fmt: skip


def _n_test(data: dict) -> int:
    return int(data.get("max_test") or N_TEST)


def _reading_values(run: str) -> list[tuple[str, str, list[float], int]]:
    out = []
    for label, exp in READINGS:
        data = record(exp)
        vals = seed_values(data, run) if data else []
        out.append((label, exp, vals, _n_test(data) if data else N_TEST))
    return out


def _pending_reading(readings: list[Reading], missing: str) -> Verdict:
    ours = "; ".join(f"{r.label}: {r.ours}" for r in readings if r.reproduces is not None)
    return Verdict(
        "pending",
        ours,
        "every reading must be run before a verdict; "
        + (record_problem(missing) or f"{missing} does not hold this claim's runs yet"),
        tuple(readings),
        reproduce_command(missing),
    )


def _cnn_accuracy(run: str) -> Rule:
    def rule(c: Claim) -> Verdict:
        readings, missing = [], None
        for label, exp, vals, n in _reading_values(run):
            if not vals:
                readings.append(Reading(label, None, "not recorded"))
                missing = missing or exp
                continue
            v = compare_accuracy(c.value, N_TEST, vals, n, resolution=c.resolution, experiment=exp)
            readings.append(
                Reading(label, v.kind == "reproduced", f"{v.ours}, {v.explanation}", v.tolerance)
            )
        if missing:
            return _pending_reading(readings, missing)
        return from_readings(readings)

    return rule


#: Training images of CIFAR-10: the set a training accuracy is measured on.
N_TRAIN = 50_000
#: A's "Train Accuracy" column does not say how it was measured; two readings, both
#: recorded in every study (the record's ``train_acc`` and ``train_eval_acc``).
TRAIN_MEASURES = (
    ("the running accuracy over the last epoch", "train_acc"),
    ("the trained net on the training set", "train_eval_acc"),
)
FC = "part4/a_fc_depth"
FC_READINGS = (("batch 4 (Table 1)", FC),)


def _train_accuracy(run: str, batches: Sequence[tuple[str, str]]) -> Rule:
    """A's training accuracy of ``run`` under every batch and measure reading."""

    def rule(c: Claim) -> Verdict:
        readings, missing = [], None
        for batch, exp in batches:
            data = record(exp)
            for measure, key in TRAIN_MEASURES:
                label = f"{batch}, {measure}"
                vals = seed_values(data, run, key) if data else []
                if not vals:
                    readings.append(Reading(label, None, "not recorded"))
                    missing = missing or exp
                    continue
                v = compare_accuracy(c.value, N_TRAIN, vals, N_TRAIN, resolution=c.resolution,
                                     experiment=exp, spread_key=key)  # fmt: skip
                readings.append(
                    Reading(label, v.kind == "reproduced", f"{v.ours}, {v.explanation}",
                            v.tolerance)
                )  # fmt: skip
        if missing:
            return _pending_reading(readings, missing)
        return from_readings(readings)

    return rule


def _best_of(claimed: str, others: Sequence[str], *, drop: bool = False) -> Rule:
    """Reading reproduces when ``claimed`` beats every other run by more than the tolerance.

    With ``drop`` the claim is that ``claimed`` is the worst (a drop).
    """

    def rule(c: Claim) -> Verdict:
        readings, missing = [], None
        for label, exp in READINGS:
            data = record(exp)
            vals = {r: seed_values(data, r) if data else [] for r in (claimed, *others)}
            if data is None or not all(vals.values()):
                readings.append(Reading(label, None, "not recorded"))
                missing = missing or exp
                continue
            n = _n_test(data)
            mine = statistics.fmean(vals[claimed])
            ok = True
            for o in others:
                tol = accuracy_tolerance(vals[claimed], n, vals[o], n, experiment=exp)
                gap = mine - statistics.fmean(vals[o])
                ok = ok and ((-gap if drop else gap) > tol)
            desc = ", ".join(f"{r} {fmt_spread(v)}" for r, v in vals.items())
            readings.append(Reading(label, ok, desc))
        if missing:
            return _pending_reading(readings, missing)
        return from_readings(readings)

    return rule


#: Table 5's text: "the network with three conv layers have much more parameters to learn
#: from as compared with the networks with either one or two conv".  A count needs no
#: training: both layouts are checked.
CONV3_PARAMS_LAYOUT = Open("the three-conv layout", {BOOK_LAYOUT: CHECK, POOL3_LAYOUT: CHECK})
#: ``ConvNet``'s ``layout`` argument for each reading of the three-conv layout.
CONV3_MODEL_LAYOUT: dict[str, Literal["book", "pool3"]] = {
    BOOK_LAYOUT: "book",
    POOL3_LAYOUT: "pool3",
}


def _conv3_params(c: Claim) -> Verdict:
    """Parameter counts of the one-, two- and three-conv nets, under both layouts."""
    from backprop_book.torch_nn.models import ConvNet, count_parameters

    n1, n2 = (count_parameters(ConvNet(n_conv=k)) for k in (1, 2))
    readings, above_two = [], []
    for label, layout in CONV3_MODEL_LAYOUT.items():
        n3 = count_parameters(ConvNet(n_conv=3, layout=layout))
        above_two.append(n3 > n2)
        text = f"1 conv {n1:,}, 2 conv {n2:,}, 3 conv {n3:,}"
        readings.append(Reading(label, n3 > n1 and n3 > n2, text))
    two = "more than" if all(above_two) else "not always more than"
    v = from_readings(
        readings,
        wrong_check=(
            f"the three-conv net has {two} the two-conv net's parameters but fewer than the "
            f"one-conv net's {n1:,}: with one pooling, fc1 takes 6 * 14 * 14 = {6 * 14 * 14:,} inputs "
            "(6 * 16 * 16 with Net2's 3 x 3 padding-1 conv), more than after two or three"
        ),
    )
    return v


@dataclasses.dataclass(frozen=True)
class _Conv3Source:
    """One reading of a conv3 claim: a batch reading and a layout.

    ``batch`` is the batch study (conv1 and the two-conv base come from it); the
    three-conv run is ``run`` of the record ``exp``.
    """

    label: str
    batch: str
    exp: str
    run: str


def _conv3_sources() -> list[_Conv3Source]:
    """Every reading of a conv3 claim: the book's layout, then three poolings, per batch."""
    book = [_Conv3Source(label, exp, exp, "conv3") for label, exp in READINGS]
    pool3 = [
        _Conv3Source(f"three poolings, {label}", exp, POOL3, run)
        for (label, exp), run in zip(READINGS, ("batch4", "batch32"), strict=True)
    ]
    return book + pool3


#: Judges one reading of a conv3 claim: the claim, the source, the batch study's record
#: and the three-conv run's record; returns its readings, or none when a run is missing.
_Conv3Judge = Callable[[Claim, _Conv3Source, Any, Any], list[Reading]]


def _conv3_rule(judge: _Conv3Judge) -> Rule:
    """A conv3 claim judged under every batch reading and layout that is recorded.

    The book's layout must be recorded at both batches (else *pending*).  The
    three-pooling record (:data:`POOL3`) joins when it can carry a verdict; until then
    its readings are not run, the verdict says so, and :meth:`Claim.verdict` keeps it
    from being final (:data:`CONV3_LAYOUT` declares the reading).
    """

    def rule(c: Claim) -> Verdict:
        readings: list[Reading] = []
        missing, unrun = None, []
        for s in _conv3_sources():
            batch_data, data = record(s.batch), record(s.exp)
            ready = batch_data is not None and data is not None
            got = judge(c, s, batch_data, data) if ready else []
            if got:
                readings += got
            elif s.exp == POOL3:
                unrun.append(s.label)
            else:
                readings.append(Reading(s.label, None, "not recorded"))
                missing = missing or (s.exp if data is None else s.batch)
        if missing:
            return _pending_reading(readings, missing)
        v = from_readings(readings)
        if unrun and v.kind in ("reproduced", "ambiguous"):
            why = record_problem(POOL3) or f"{POOL3} does not hold the runs"
            said = v.explanation.replace("under every reading (", "under every reading run (")
            v = dataclasses.replace(v, explanation=f"{said}; not run: {', '.join(unrun)} ({why})")
        return v

    return rule


def _conv3_test(c: Claim, s: _Conv3Source, batch: Any, data: Any) -> list[Reading]:
    vals = seed_values(data, s.run)
    if not vals:
        return []
    v = compare_accuracy(c.value, N_TEST, vals, _n_test(data), resolution=c.resolution,
                         experiment=s.exp)  # fmt: skip
    return [Reading(s.label, v.kind == "reproduced", f"{v.ours}, {v.explanation}", v.tolerance)]


def _conv3_train(c: Claim, s: _Conv3Source, batch: Any, data: Any) -> list[Reading]:
    out = []
    for measure, key in TRAIN_MEASURES:
        vals = seed_values(data, s.run, key)
        if not vals:
            return []
        v = compare_accuracy(c.value, N_TRAIN, vals, N_TRAIN, resolution=c.resolution,
                             experiment=s.exp, spread_key=key)  # fmt: skip
        out.append(
            Reading(f"{s.label}, {measure}", v.kind == "reproduced",
                    f"{v.ours}, {v.explanation}", v.tolerance)
        )  # fmt: skip
    return out


def _conv3_best(c: Claim, s: _Conv3Source, batch: Any, data: Any) -> list[Reading]:
    """Three conv layers beat one and two by more than the tolerance of each gap."""
    mine = seed_values(data, s.run)
    others = {r: seed_values(batch, r) for r in ("conv1", "relu_lr0.001_conv2")}
    if not mine or not all(others.values()):
        return []
    n, n_other = _n_test(data), _n_test(batch)
    ok = True
    for vals in others.values():
        # the spread of the batch study, which ran the nets compared with
        tol = accuracy_tolerance(mine, n, vals, n_other, experiment=s.batch)
        ok = ok and statistics.fmean(mine) - statistics.fmean(vals) > tol
    desc = ", ".join(f"{r} {fmt_spread(v)}" for r, v in {"conv3": mine, **others}.items())
    return [Reading(s.label, ok, desc)]


#: The runs of each of A's CNN studies (the conv layers' ``conv3`` is the layout's).
IMPACT_STUDIES = {
    "activation": ("relu_lr0.001_conv2", "leaky_relu", "tanh"),
    "learning rate": ("lr0.0005", "relu_lr0.001_conv2", "lr0.01"),
    "conv layers": ("conv1", "relu_lr0.001_conv2", "conv3"),
    "channels": ("relu_lr0.001_conv2", "double_channels"),
}


def _biggest_impact(c: Claim, s: _Conv3Source, batch: Any, data: Any) -> list[Reading]:
    """A: the number of conv layers changes test accuracy more than any other setting."""
    needed = {r for runs in IMPACT_STUDIES.values() for r in runs}
    vals = {r: seed_values(batch, r) for r in needed - {"conv3"}}
    vals["conv3"] = seed_values(data, s.run)
    if not all(vals.values()):
        return []
    spans = {}
    for study, runs in IMPACT_STUDIES.items():
        means = [statistics.fmean(vals[r]) for r in runs]
        spans[study] = max(means) - min(means)
    top = max(spans, key=spans.__getitem__)
    desc = ", ".join(f"{k} {v:.3f}" for k, v in spans.items()) + f" (largest: {top})"
    return [Reading(s.label, top == "conv layers", desc)]


def _loss_scale(c: Claim) -> Verdict:
    """A's test losses are per-example: the book's mean loss divided by the batch size."""
    readings, missing = [], None
    for (label, exp), batch in zip(READINGS, (4, 32), strict=True):
        data = record(exp)
        vals = seed_values(data, "relu_lr0.001_conv2", "test_loss") if data else []
        if not vals:
            readings.append(Reading(label, None, "not recorded"))
            missing = missing or exp
            continue
        per = statistics.fmean(vals) / batch
        ok = abs(per - c.value) <= 0.2 * c.value
        readings.append(
            Reading(label, ok, f"test loss {statistics.fmean(vals):.4f} / {batch} = {per:.4f}")
        )
    if missing:
        return _pending_reading(readings, missing)
    v = from_readings(readings)
    return Verdict(v.kind, v.ours, v.explanation + " (tolerance 20% of A's figure)", v.readings)


def _fc_accuracy(run: str) -> Rule:
    def rule(c: Claim) -> Verdict:
        data = record("part4/a_fc_depth")
        if data is None:
            return pending("part4/a_fc_depth")
        minutes = statistics.fmean(seed_values(data, run, "train_time_s")) / 60
        return compare_accuracy(
            c.value, N_TEST, seed_values(data, run), _n_test(data),
            differs_because=f"the run took {minutes:.0f} minutes a seed here",
            resolution=c.resolution, experiment="part4/a_fc_depth",
        )  # fmt: skip

    return rule


def _fc_params(c: Claim) -> Verdict:
    data = record("part4/a_fc_depth")
    if data is None:
        return pending("part4/a_fc_depth")
    ours = {r["name"]: int(r["num_parameters"]) for o in seed_outputs(data) for r in o["runs"]}
    pub = {k: int(v[4]) for k, v in TABLE2.items()}
    same = ours == pub
    text = ", ".join(f"{k} {ours[k]:,}" for k in sorted(ours))
    if same:
        return Verdict(
            "reproduced", text, "the book's nets, built from A's listing, have A's counts"
        )
    return Verdict("differs", text, "the book's nets have other parameter counts")


def _fc_loss_order(c: Claim) -> Verdict:
    data = record("part4/a_fc_depth")
    if data is None:
        return pending("part4/a_fc_depth")
    order = [
        statistics.fmean(r["history"][-1]["train_loss"] for r in seed_rows(data, k))
        for k in ("fc2", "fc3", "fc4", "fc5")
    ]
    text = ", ".join(
        f"{k} {v:.4f}" for k, v in zip(("fc2", "fc3", "fc4", "fc5"), order, strict=True)
    )
    if all(a > b for a, b in itertools.pairwise(order)):
        return Verdict(
            "reproduced", text, "epoch-10 training loss falls with every added layer, as in Table 1"
        )
    return Verdict(
        "differs", text, "the epoch-10 training loss does not fall with every added layer"
    )


def _fc_acc_order(c: Claim) -> Verdict:
    data = record("part4/a_fc_depth")
    if data is None:
        return pending("part4/a_fc_depth")
    vals = [seed_values(data, k) for k in ("fc2", "fc3", "fc4", "fc5")]
    acc = [statistics.fmean(v) for v in vals]
    n = _n_test(data)
    steps_ok = all(
        statistics.fmean(b) - statistics.fmean(a)
        > -accuracy_tolerance(a, n, b, n, experiment="part4/a_fc_depth")
        for a, b in itertools.pairwise(vals)
    )
    overall = acc[-1] - acc[0] > accuracy_tolerance(
        vals[0], n, vals[-1], n, experiment="part4/a_fc_depth"
    )
    text = " < ".join(f"{a:.4f}" for a in acc)
    if steps_ok and overall:
        return Verdict(
            "reproduced", text,
            "test accuracy rises from 2 to 5 layers; no step falls by more than the tolerance",
        )  # fmt: skip
    return Verdict("differs", text, "test accuracy does not rise with depth beyond the noise")


def _fig2_text(c: Claim) -> Verdict:
    """The text says loss and accuracy both increase with depth; Table 2 says otherwise."""
    train_loss = [float(TABLE2[k][0]) for k in ("fc2", "fc3", "fc4", "fc5")]
    test_loss = [float(TABLE2[k][2]) for k in ("fc2", "fc3", "fc4", "fc5")]
    falls = all(a > b for a, b in itertools.pairwise(train_loss))
    non_monotone = not all(a < b for a, b in itertools.pairwise(test_loss))
    if falls and non_monotone:
        return Verdict(
            "report_wrong",
            "",
            f"A's own Table 2: the training loss falls with depth ({train_loss[0]} to "
            f"{train_loss[-1]}), and the test loss first falls, then rises; neither increases "
            "as the text says",
        )
    return Verdict("reproduced", "", "Table 2's losses increase with depth, as the text says")


def _default_rows(c: Claim) -> Verdict:
    """The default run is one run, yet its rows differ between Tables 3, 4 and 5."""
    rows = {
        "Table 3": TABLE3["relu_lr0.001_conv2"],
        "Table 4": TABLE4["relu_lr0.001_conv2"],
        "Table 5": TABLE5["relu_lr0.001_conv2"],
    }
    train_losses = {t: float(r[0]) for t, r in rows.items()}
    rest_same = len({r[1:] for r in rows.values()}) == 1
    if rest_same and len(set(train_losses.values())) > 1:
        text = ", ".join(f"{t} {v:g}" for t, v in train_losses.items())
        return Verdict(
            "report_wrong",
            "",
            f"the same default run has training loss {text}, with identical accuracies and "
            "test loss: one of the tables mistypes it",
        )
    return Verdict("reproduced", "", "the default run's rows agree across Tables 3-5")


def _conv1_test(c: Claim) -> Verdict:
    test_acc = float(TABLE5["conv1"][3])
    train_acc = float(TABLE5["conv1"][1])
    chance = 1 / 10
    data = record(B4)
    ours = fmt_spread(seed_values(data, "conv1")) if data else ""
    if test_acc < chance < train_acc:
        return Verdict(
            "report_wrong",
            ours,
            f"{test_acc} is below the {chance:.1f} of guessing one of ten classes, for a net "
            f"whose training accuracy is {train_acc}; it has the size of a loss in A's "
            f"tables (this row's test loss is {TABLE5['conv1'][2]}), not of an accuracy",
        )
    return Verdict("reproduced", ours, "a possible accuracy")


def _sample_20(c: Claim) -> Verdict:
    right, n, overall = 20 - 5, 20, float(OVERALL.rstrip("%")) / 100
    acc = right / n
    # 95% range of the number right among 20 images at the overall accuracy
    probs = [math.comb(n, k) * overall**k * (1 - overall) ** (n - k) for k in range(n + 1)]
    cdf, lo, hi = 0.0, None, None
    for k, p in enumerate(probs):
        cdf += p
        if lo is None and cdf >= 0.025:
            lo = k
        if hi is None and cdf >= 0.975:
            hi = k
    data = record(B4)
    ours = ""
    if data:
        base = seed_rows(data, "relu_lr0.001_conv2")[0]  # the twenty images of seed 0
        s = base["sample"]
        k = sum(p == y for p, y in zip(s["predicted"], s["labels"], strict=True))
        ours = f"{k}/{len(s['labels'])} right in the book's twenty"
    if abs(acc - c.value) < 1e-12 and lo is not None and hi is not None and lo <= right <= hi:
        return Verdict(
            "reproduced", ours,
            f"15 of 20 is {acc:.0%}; at an overall {overall:.0%}, 95% of twenty-image samples "
            f"have {lo}-{hi} right, so 75% is no evidence against 59%, as A says",
        )  # fmt: skip
    return Verdict("report_wrong", ours, "15 of 20 right is not 75%")


@functools.lru_cache(maxsize=1)
def _mlp_backward_ok() -> bool:
    return all(v.correct for v in verify_mlp_backward((3, 2, 2), ("tanh", "identity")).values())


def _q1(c: Claim) -> Verdict:
    if _mlp_backward_ok():
        return Verdict(
            "reproduced", "",
            "A's dL/dW_l, dL/db_l and dL/dh_(l-1), coded in symbolic.mlp, agree with sympy's "
            "differentiation of a 3-2-2 tanh net with softmax cross-entropy",
        )  # fmt: skip
    return Verdict("report_wrong", "", "the gradient checker rejects A's formulas")


def claims() -> list[Claim]:
    """Report A's claims, in the report's order.

    >>> cs = claims()
    >>> cs[0].id, len(cs) >= 15
    ('A.q1.backprop', True)
    """
    fc_stated: dict[str, Any] = {"epochs": "10", "batch": "4 (Table 1: the 12,000th batch of an epoch)",
                 "optimizer": "the tutorial's SGD, lr 0.001, momentum 0.9"}  # fmt: skip
    cnn: dict[str, Any] = {"stated": CNN_STATED, "open": CNN_OPEN, "chapter": "part4/report_a",
                           "readings": (BATCH,)}  # fmt: skip
    conv3: dict[str, Any] = {**cnn, "open": (*CNN_OPEN, CONV3_LAYOUT.setting),
                             "readings": (BATCH, CONV3_LAYOUT)}  # fmt: skip
    out = [
        Claim(
            "A.q1.backprop",
            "A",
            "Problem 1",
            r"\frac{\partial L}{\partial w_l} = f'_l \frac{\partial L}{\partial h_l} h_{l-1}^\top",
            "",
            _q1,
            check="Part I: symbolic.mlp.verify_mlp_backward",
            chapter="part1/mlp_backprop",
        ),
        Claim(
            "A.table2.params",
            "A",
            "Table 2",
            "the number of learnable parameter increases from 369970 for 2 linear layers to "
            "1746558 parameters for 5 linear layers",
            TABLE2["fc5"][4],
            _fc_params,
            stated=fc_stated,
            experiment="part4/a_fc_depth",
            runs=("fc2", "fc3", "fc4", "fc5"),
            chapter="part4/report_a",
        ),
        Claim(
            "A.table1.loss_order",
            "A",
            "Table 1",
            "Comparison of training loss for 10 epochs with different linear layers",
            TABLE1_EPOCH10["fc5"],
            _fc_loss_order,
            stated=fc_stated,
            experiment="part4/a_fc_depth",
            runs=("fc2", "fc3", "fc4", "fc5"),
            chapter="part4/report_a",
        ),
    ]
    for k in ("fc2", "fc3", "fc4", "fc5"):
        out.append(
            Claim(f"A.table2.{k}", "A", "Table 2", f"{k[2]} linear layers: Test Accuracy {TABLE2[k][3]}",
                  TABLE2[k][3], _fc_accuracy(k), stated=fc_stated, experiment="part4/a_fc_depth",
                  runs=(k,), chapter="part4/report_a")
        )  # fmt: skip
    measure = Open(TRAIN_OPEN, {m: FC for m, _ in TRAIN_MEASURES})
    for k in ("fc2", "fc3", "fc4", "fc5"):
        out.append(
            Claim(f"A.table2.{k}_train", "A", "Table 2",
                  f"{k[2]} linear layers: Train Accuracy {TABLE2[k][1]}", TABLE2[k][1],
                  _train_accuracy(k, FC_READINGS), stated=fc_stated, experiment=FC, runs=(k,),
                  open=(TRAIN_OPEN,), readings=(measure,), chapter="part4/report_a")
        )  # fmt: skip
    cnn_measure = Open(TRAIN_OPEN, {m: B4 for m, _ in TRAIN_MEASURES})
    train_rows = (("Table 3", "relu_lr0.001_conv2", "ReLU (default)", TABLE3),
                  ("Table 3", "leaky_relu", "Leaky ReLU", TABLE3),
                  ("Table 3", "tanh", "Tanh", TABLE3),
                  ("Table 4", "lr0.0005", "0.0005", TABLE4),
                  ("Table 4", "lr0.01", "0.01", TABLE4),
                  ("Table 5", "conv1", "1", TABLE5),
                  ("Table 5", "conv3", "3", TABLE5))  # fmt: skip
    for table, run, row, figures in train_rows:
        out.append(
            Claim(f"A.{table.lower().replace(' ', '')}.{run}_train", "A", table,
                  f"{row} ... Train Accuracy {figures[run][1]}", figures[run][1],
                  _conv3_rule(_conv3_train) if run == "conv3" else _train_accuracy(run, READINGS),
                  stated=CNN_STATED, experiment=B4, runs=(run,),
                  open=(*CNN_OPEN, TRAIN_OPEN), chapter="part4/report_a",
                  readings=(BATCH, cnn_measure, *((CONV3_LAYOUT,) if run == "conv3" else ())))
        )  # fmt: skip
    out += [
        Claim("A.table2.depth_order", "A", "Table 2 / Figure 2",
              "As the network learns more parameters, it is expected to train and test with "
              "higher accuracy", TABLE2["fc2"][3], _fc_acc_order, stated=fc_stated,
              experiment="part4/a_fc_depth", runs=("fc2", "fc3", "fc4", "fc5"),
              chapter="part4/report_a"),
        Claim("A.fig2.text", "A", "Figure 2 text vs Table 2",
              "as the number of linear layer increases, the training and testing loss and "
              "accuracy increases", TABLE2["fc2"][0], _fig2_text,
              check="A's Table 2 losses against the sentence", chapter="part4/report_a"),
        Claim("A.tables.fc_loss_scale", "A", "Tables 1 and 2",
              "Please note that the numbers represent values for the 10th epoch",
              TABLE2["fc2"][0], _fc_loss_scale, open=(FC_LOSS_SCALE.setting,),
              readings=(FC_LOSS_SCALE,), check="A's Table 2 losses against its Table 1",
              chapter="part4/report_a"),
        Claim("A.fig4.sample", "A", "Figure 4",
              "a total of five images have been labelled incorrectly which means that for the 20 "
              "random sample, the testing accuracy is 75%", "75%", _sample_20,
              check="binomial range of twenty images at 59%", chapter="part4/report_a"),
        Claim("A.table3.relu", "A", "Table 3 (default network)", "ReLU ... Test Accuracy 0.5930",
              TABLE3["relu_lr0.001_conv2"][3], _cnn_accuracy("relu_lr0.001_conv2"),
              experiment=B4, runs=("relu_lr0.001_conv2",), **cnn),
        Claim("A.table3.loss_scale", "A", "Table 3", "ReLU ... Test Loss 0.03610",
              TABLE3["relu_lr0.001_conv2"][2], _loss_scale, experiment=B4,
              runs=("relu_lr0.001_conv2",), **cnn),
        Claim("A.table3.leaky_relu", "A", "Table 3", "Leaky ReLU ... Test Accuracy 0.5931",
              TABLE3["leaky_relu"][3], _cnn_accuracy("leaky_relu"), experiment=B4,
              runs=("leaky_relu",), **cnn),
        Claim("A.table3.tanh", "A", "Table 3", "Tanh ... Test Accuracy 0.6502", TABLE3["tanh"][3],
              _cnn_accuracy("tanh"), experiment=B4, runs=("tanh",), **cnn),
        Claim("A.table3.tanh_best", "A", "Table 3", "Tanh has the highest training and testing accuracy",
              TABLE3["tanh"][3], _best_of("tanh", ("relu_lr0.001_conv2", "leaky_relu")),
              experiment=B4, runs=("tanh", "relu_lr0.001_conv2", "leaky_relu"), **cnn),
        Claim("A.table4.lr0.0005", "A", "Table 4", "0.0005 ... Test Accuracy 0.4961",
              TABLE4["lr0.0005"][3], _cnn_accuracy("lr0.0005"), experiment=B4,
              runs=("lr0.0005",), **cnn),
        Claim("A.table4.lr0.01", "A", "Table 4", "0.01 ... Test Accuracy 0.6161", TABLE4["lr0.01"][3],
              _cnn_accuracy("lr0.01"), experiment=B4, runs=("lr0.01",), **cnn),
        Claim("A.table4.lr_best", "A", "Table 4", "the learning rate of 0.01 has better performance",
              TABLE4["lr0.01"][3], _best_of("lr0.01", ("lr0.0005", "relu_lr0.001_conv2")),
              experiment=B4, runs=("lr0.01", "lr0.0005", "relu_lr0.001_conv2"), **cnn),
        Claim("A.tables.default_row", "A", "Tables 3-5",
              "0.001 (default) 0.0323 0.6134 0.03610 0.5930", TABLE4["relu_lr0.001_conv2"][0],
              _default_rows, check="the default row of Tables 3, 4 and 5 compared",
              chapter="part4/report_a"),
        Claim("A.table5.conv1", "A", "Table 5", "1 ... Test Accuracy 0.03921", TABLE5["conv1"][3],
              _conv1_test, check="an accuracy below chance beside a training accuracy of 0.42",
              experiment=B4, runs=("conv1",), chapter="part4/report_a"),
        Claim("A.table5.conv3", "A", "Table 5", "3 ... Test Accuracy 0.7195", TABLE5["conv3"][3],
              _conv3_rule(_conv3_test), experiment=B4, runs=("conv3",), **conv3),
        Claim("A.table5.conv3_best", "A", "Table 5",
              "the network with three convolutional layers perform better", TABLE5["conv3"][3],
              _conv3_rule(_conv3_best), experiment=B4,
              runs=("conv3", "conv1", "relu_lr0.001_conv2"), **conv3),
        Claim("A.table5.conv3_params", "A", "Table 5 text",
              "the network with three conv layers have much more parameters to learn from as "
              "compared with the networks with either one or two conv", "", _conv3_params,
              check="torch_nn.models.ConvNet's parameter counts, both layouts",
              chapter="part4/report_a",
              open=(CONV3_PARAMS_LAYOUT.setting,), readings=(CONV3_PARAMS_LAYOUT,)),
        Claim("A.fig6.listing", "A", "Figure 6",
              "For the double channel, the network structure used is shown in Figure 6",
              "", _net2_listing,
              check="A's Net2 listing: shapes through its forward, channels against the "
                    "tutorial's", chapter="part4/report_a"),
        Claim("A.fig7.double_channels", "A", "Figure 7",
              "when the channels are doubled, both the training and testing accuracy increases",
              "", _best_of("double_channels", ("relu_lr0.001_conv2",)), experiment=B4,
              runs=("double_channels", "relu_lr0.001_conv2"), **cnn),
        Claim("A.conclusion.conv_layers", "A", "Conclusion",
              "changing the number of convolution layers had the biggest impact in the performance",
              "", _conv3_rule(_biggest_impact), experiment=B4,
              runs=("conv1", "conv3", "lr0.01", "lr0.0005", "tanh", "double_channels"), **conv3),
    ]  # fmt: skip
    out += _audit_claims()
    return out


# ----------------------------------------------------------------------------- audit items
# Items of A that the audit of every report item (docs/part5/audit.md) found unclaimed.

#: Figure 1's listing (Net_5linear): fc1's inputs as printed (16 * 2 * 32 * 3), then
#: every linear layer's (in, out).
NET5_INPUT = (16, 2, 32, 3)
NET5_LAYERS = ((16 * 2 * 32 * 3, 512), (512, 256), (256, 120), (120, 84), (84, 10))
#: Section 2.1: "The ReLU ... is formulated as follows": y_i ~ Bernoulli(p_i), a draw of
#: one of this many outcomes.
BERNOULLI_OUTCOMES = 2
#: Table 1's caption: the losses are those of "the 12,000th batch" of each epoch.
TABLE1_BATCH = "12,000"
#: Section 2.2.1: "both the training and testing accuracy is at about 60 %".
ABOUT_DEFAULT = "60 %"


def _net5_listing(c: Claim) -> Verdict:
    params = sum(i * o + o for i, o in NET5_LAYERS)
    inputs = math.prod(NET5_INPUT)
    chained = all(a[1] == b[0] for a, b in itertools.pairwise(NET5_LAYERS))
    ok = inputs == 3 * 32 * 32 and chained and params == int(TABLE2["fc5"][4])
    ours = f"{len(NET5_LAYERS)} linear layers, {inputs} inputs, {params:,} parameters"
    if ok:
        return Verdict(
            "reproduced", ours,
            f"the listing holds {len(NET5_LAYERS)} linear layers, each taking the last one's "
            f"outputs; fc1's 16 * 2 * 32 * 3 = {inputs} is a flattened 3 x 32 x 32 image; its "
            f"weights and biases add up to Table 2's count for 5 layers",
        )  # fmt: skip
    return Verdict("report_wrong", ours, "the listing does not add up to Table 2's count")


#: What the three lines after "It is formulated as follows" formulate.
RELU_LINES = Open(
    "what the three lines after 'It is formulated as follows' formulate",
    {"A's network, label to hidden layer": CHECK, "the ReLU only (the third line)": CHECK},
)


def _relu_formula(c: Claim) -> Verdict:
    classes = NET5_LAYERS[-1][1]
    # the third line, h = max(s, 0) with s = x^T alpha, against Part I's ReLU
    from backprop_book.symbolic.mlp import relu

    is_relu = all(relu(v) == max(v, 0) for v in (-2, -1, 0, 3))
    network, only_relu = RELU_LINES.values
    return from_readings([
        Reading(network, classes == BERNOULLI_OUTCOMES,
                f"the first two lines draw the label from a Bernoulli of sigmoid(H_i^T beta), "
                f"{BERNOULLI_OUTCOMES} classes, while A's own listing ends in {classes} scores "
                "and its next paragraph puts a softmax at the top"),
        Reading(only_relu, is_relu, "h_ik = max(x_i^T alpha_k, 0) is the ReLU"),
    ])  # fmt: skip


def _table1_batches(c: Claim) -> Verdict:
    k = int(TABLE1_BATCH.replace(",", ""))
    largest = max(b for b in range(1, N_TRAIN + 1) if math.ceil(N_TRAIN / b) >= k)
    tutorial = math.ceil(N_TRAIN / 4)
    ours = f"batch size at most {largest}; batch 4 gives {tutorial:,} batches"
    if largest >= 4:
        return Verdict(
            "reproduced", ours,
            f"{N_TRAIN:,} training images hold a {k:,}th batch only in batches of {largest} "
            f"or fewer; the tutorial's batch 4 makes {tutorial:,} an epoch, so Table 1 fits the "
            "batch the book runs. A's SGD formula, one example i per step, holds for plain "
            "SGD; the tutorial A follows averages four examples and adds momentum 0.9 "
            "(A.sgd.update)",
        )  # fmt: skip
    return Verdict("report_wrong", ours, "no batch size the tutorial allows gives that many")


def _sgd_update(c: Claim) -> Verdict:
    import torch  # only this check needs it

    theta = torch.tensor([0.5, -1.0], requires_grad=True)
    eta = 0.1
    loss = (theta**2).sum() * 3.0  # L_i(theta) = 3 |theta|^2, L_i' = 6 theta
    loss.backward()
    expected = theta.detach() - eta * 6.0 * theta.detach()
    torch.optim.SGD([theta], lr=eta).step()
    ok = bool(torch.allclose(theta.detach(), expected))
    return Verdict(
        "reproduced" if ok else "report_wrong", "torch.optim.SGD, one step",
        "theta - eta L_i'(theta) is the step torch.optim.SGD takes (momentum 0); the "
        "sentence before it, 'The gradient is computed using Stochastic Gradient Descent', "
        "does not hold as written: SGD uses the gradient (computed by backpropagation), it does "
        "not compute it; and A's runs follow the tutorial (batches of 4, momentum 0.9)"
        if ok else "torch's SGD step differs from the formula",
    )  # fmt: skip


def _about_60(c: Claim) -> Verdict:
    about = float(ABOUT_DEFAULT.rstrip(" %")) / 100
    overall = float(OVERALL.rstrip("%")) / 100
    train, test = float(TABLE3["relu_lr0.001_conv2"][1]), float(TABLE3["relu_lr0.001_conv2"][3])
    near = all(abs(v - about) <= 0.025 for v in (train, test))  # "about": the nearest 5 points
    rounds = round(test * 100) == round(overall * 100)
    ours = f"Table 3's default row: train {train}, test {test}"
    if near and rounds:
        return Verdict(
            "reproduced", ours,
            f"both of the default row's accuracies round to {ABOUT_DEFAULT} at the nearest five "
            f"points, and its test accuracy rounds to the {OVERALL} A calls the overall "
            "accuracy: the text agrees with its table (the book's runs: A.table3.relu)",
        )  # fmt: skip
    return Verdict("report_wrong", ours, "the text and Table 3's default row disagree")


def _audit_claims() -> list[Claim]:
    fc: dict[str, Any] = {"chapter": "part4/report_a"}
    return [
        Claim("A.fig1.listing", "A", "Figure 1",
              "Snippet of a network structure implemented for NN with 5 fully connected linear "
              "layers", TABLE2["fc5"][4], _net5_listing,
              check="A's listing: layer sizes chained, parameters against Table 2", **fc),
        Claim("A.fc.relu_formula", "A", "Section 2.1",
              r"The ReLU is used as the baseline activation function. It is formulated as "
              r"follows: $$y_i \sim \text{Bernoulli}(p_i)$$", "", _relu_formula,
              open=(RELU_LINES.setting,), readings=(RELU_LINES,),
              check="A's formula against its own listing's output layer", **fc),
        Claim("A.sgd.update", "A", "Section 2.1",
              r"$$\theta_{t+1} = \theta_t - \eta_t L'_i(\theta_t),$$", "", _sgd_update,
              check="one step of torch.optim.SGD against the formula", **fc),
        Claim("A.table1.batches", "A", "Table 1",
              "Comparison of training loss for 10 epochs with different linear layers for the "
              "12,000th batch", "", _table1_batches,
              check="a count: batches of an epoch of 50,000 images", **fc),
        Claim("A.fig3.about_60", "A", "Figure 3 text",
              "both the training and testing accuracy is at about 60 %", "", _about_60,
              check="A's sentence against Table 3's default row", **fc),
    ]  # fmt: skip


#: Report A's claims.
CLAIMS: tuple[Claim, ...] = tuple(claims())
