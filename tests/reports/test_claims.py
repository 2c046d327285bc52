"""The reports' claims and their verdicts (Part V)."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from backprop_book.reports import KINDS, all_claims, claim, claims_of, verdict_counts
from backprop_book.reports import a as report_a
from backprop_book.reports.claims import (
    CHECK,
    Claim,
    Open,
    Reading,
    Verdict,
    accuracy_tolerance,
    binomial_se,
    compare_accuracy,
    fmt_spread,
    from_readings,
    seed_values,
)
from backprop_book.results import RESULTS_ENV, default_results_dir

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).with_name("verdicts.json")
CLAIMS = all_claims()
IDS = [c.id for c in CLAIMS]


@pytest.fixture(scope="module")
def verdicts() -> dict[str, Verdict]:
    return {c.id: c.verdict() for c in CLAIMS}


# ----------------------------------------------------------------------------- the claims


def test_every_report_has_claims_and_ids_are_unique() -> None:
    assert len(IDS) == len(set(IDS))
    for label in "ABCDE":
        assert len(claims_of(label)) >= 15, label
    assert len(CLAIMS) >= 60


@pytest.mark.parametrize("cid", IDS)
def test_every_claim_has_a_verdict(cid: str, verdicts: dict[str, Verdict]) -> None:
    c, v = claim(cid), verdicts[cid]
    assert v.kind in KINDS
    assert v.explanation.strip(), f"{cid}: a verdict says why"
    if v.kind == "pending":
        assert v.command and v.command.startswith("backprop-book reproduce part"), v.command
        assert c.experiment is not None or "reproduce" in v.command
    if v.kind == "ambiguous":
        assert len(v.readings) >= 2 and c.open, (
            f"{cid}: ambiguous needs the open setting and readings"
        )
        assert any(r.reproduces for r in v.readings) and not all(r.reproduces for r in v.readings)
    if c.experiment is not None:
        assert re.fullmatch(r"part[0-9]/[A-Za-z0-9_.-]+", c.experiment)
    assert c.chapter, f"{cid}: a claim links the chapter that explains it"
    assert (ROOT / "docs" / f"{c.chapter}.md").is_file(), c.chapter


def test_report_wrong_only_after_every_reading(verdicts: dict[str, Verdict]) -> None:
    """A claim with open settings is called wrong only with every reading run."""
    for c in CLAIMS:
        v = verdicts[c.id]
        if v.kind == "report_wrong" and v.readings:
            assert all(r.reproduces is not None for r in v.readings), c.id


def test_verdict_kinds_match_the_snapshot(verdicts: dict[str, Verdict]) -> None:
    """A recorded file that changes a verdict fails here; update verdicts.json on purpose."""
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    now = {cid: v.kind for cid, v in verdicts.items()}
    changed = {k: (snapshot.get(k), now.get(k)) for k in set(snapshot) | set(now)
               if snapshot.get(k) != now.get(k)}  # fmt: skip
    assert not changed, f"verdicts changed (snapshot, now): {changed}"


def test_verdict_counts_add_up(verdicts: dict[str, Verdict]) -> None:
    counts = verdict_counts()
    assert list(counts) == list(KINDS)
    assert sum(counts.values()) == len(CLAIMS)
    assert counts["pending"] == sum(v.kind == "pending" for v in verdicts.values())


def test_published_values_parse() -> None:
    for c in CLAIMS:
        if c.published and re.fullmatch(r"-?[0-9.,]+%?", c.published):
            assert math.isfinite(c.value), c.id
    assert claim("B.table2.model5").value == pytest.approx(0.536)
    assert claim("C.q10.sgd").resolution == pytest.approx(0.005)


# ----------------------------------------------------------------------------- typed once

#: (file, figure) pairs where a report's figure may appear outside backprop_book/reports,
#: each with the reason.  Doctest outputs of the counting and model code are computed by
#: the code they document (a test, not a second source of the figure).
ALLOWED = {
    ("backprop_book/symbolic/counting.py", "1151280"): "doctest output of report_d_q3()",
    ("backprop_book/symbolic/counting.py", "2560"): "pool_operations doctest output",
    ("backprop_book/symbolic/counting.py", "2496"): "lenet5_table('report') doctest output",
    ("backprop_book/symbolic/counting.py", "61786"): "lenet5_table('report') doctest output",
    ("backprop_book/torch_nn/models.py", "1746558"): "count_parameters doctest output",
    ("backprop_book/torch_nn/models.py", "1,746,558"): "the models' computed counts, documented",
    ("backprop_book/torch_nn/models.py", "48,120"): "LeNet5's computed layer counts, documented",
}


def _figures() -> dict[str, list[str]]:
    """Published figures with four digits or more, also as 61,786 and 61_786 for integers."""
    out: dict[str, list[str]] = {}
    for c in CLAIMS:
        p = c.published.strip()
        if sum(ch.isdigit() for ch in p) >= 4:
            out.setdefault(p, []).append(c.id)
            if p.isdigit() and int(p) >= 1000:
                out.setdefault(f"{int(p):,}", []).append(c.id)
                out.setdefault(f"{int(p):_}", []).append(c.id)
    return out


def test_report_figures_are_typed_only_in_the_reports_package() -> None:
    figures = _figures()
    assert "0.5930" in figures and "61786" in figures
    files = [f for f in (ROOT / "docs").rglob("*.md") if "_build" not in f.parts]
    files += [f for f in (ROOT / "backprop_book").rglob("*.py") if "reports" not in f.parts]
    found = []
    for f in files:
        rel = f.relative_to(ROOT).as_posix()
        text = f.read_text(encoding="utf-8")
        for fig in figures:
            if (rel, fig) in ALLOWED:
                continue
            pattern = r"(?<![\d.])" + re.escape(fig) + r"(?!\d)"
            for m in re.finditer(pattern, text):
                found.append(f"{rel}:{text[: m.start()].count(chr(10)) + 1}: {fig}")
    assert not found, "report figures typed outside backprop_book/reports:\n" + "\n".join(found)


def test_scan_catches_a_typed_figure(tmp_path: Path) -> None:
    fig = "0.6502"
    text = f"Tanh reached {fig} in the report."
    assert re.search(r"(?<![\d.])" + re.escape(fig) + r"(?!\d)", text)
    assert not re.search(r"(?<![\d.])" + re.escape(fig) + r"(?!\d)", "0.65021")


# ----------------------------------------------------------------------------- records


def _copy_results(tmp_path: Path) -> Path:
    dst = tmp_path / "results"
    shutil.copytree(default_results_dir(), dst)
    return dst


def test_a_changed_record_changes_the_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = claim("A.table2.fc4")
    assert c.verdict().kind == "reproduced"
    dst = _copy_results(tmp_path)
    runs = sorted((dst / "part4" / "a_fc_depth" / "runs").glob("s*/fc4.json"))  # one per seed
    assert runs, "the record holds fc4 under every seed"
    moved = []
    for path in runs:  # every seed moves by the same amount: the spread stays, the mean moves
        payload = json.loads(path.read_text(encoding="utf-8"))
        payload["row"]["test_acc"] -= 0.1
        moved.append(payload["row"]["test_acc"])
        path.write_text(json.dumps(payload), encoding="utf-8")
    monkeypatch.setenv(RESULTS_ENV, str(dst))
    v = c.verdict()
    assert v.kind == "differs" and v.ours.startswith(f"{sum(moved) / len(moved):.4f}")
    assert v.tolerance is not None and v.tolerance.seed_df > 0
    assert v.tolerance.seeds == len(runs)  # every recorded seed is read


def test_a_missing_record_makes_claims_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dst = _copy_results(tmp_path)
    shutil.rmtree(dst / "part4" / "a_fc_depth")
    monkeypatch.setenv(RESULTS_ENV, str(dst))
    v = claim("A.table2.fc2").verdict()
    assert v.kind == "pending"
    assert v.command == "backprop-book reproduce part4/a_fc_depth --profile full --record"


def _alexnet_run(name: str, test_acc: list[float]) -> dict:
    hist = [{"epoch": i + 1, "test_acc": a, "train_acc": a} for i, a in enumerate(test_acc)]
    return {"name": name, "test_acc": test_acc[-1], "history": hist}


def test_a_partial_alexnet_record_settles_only_its_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backprop_book.results import record_result

    dst = _copy_results(tmp_path)
    shutil.rmtree(dst / "part4" / "alexnet_study")  # replaced by a single file below
    base = [0.5, 0.6, 0.65, 0.68, 0.70, 0.705, 0.71, 0.70, 0.69, 0.69]
    bn = [0.4, 0.5, 0.55, 0.6, 0.62, 0.63, 0.64, 0.64, 0.63, 0.63]
    data = {"runs": [_alexnet_run("adam_lr1e-3_b100", base), _alexnet_run("batch_norm", bn)]}
    record_result("part4/alexnet_study", data, device="cpu", data_source="test", seed=0,
                  wall_time_s=1.0, profile="full", command="test", results_dir=dst,
                  data_checksum="0" * 64, allow_dirty=True)  # fmt: skip
    monkeypatch.setenv(RESULTS_ENV, str(dst))
    assert claim("E.fig3.batch_norm").verdict().kind == "reproduced"
    final = claim("E.final").verdict()
    assert final.kind == "reproduced" and final.ours.startswith("0.7100")
    wait = claim("E.fig4.adam_sgd").verdict()
    assert wait.kind == "pending" and "sgd" in wait.explanation
    assert wait.command == "backprop-book reproduce part4/alexnet_study --profile full --record"
    # one reading of SGD's momentum recorded: still pending, and it says what that one shows
    data["runs"].append(_alexnet_run("sgd", [0.1] * 10))
    record_result("part4/alexnet_study", data, device="cpu", data_source="test", seed=0,
                  wall_time_s=1.0, profile="full", command="test", results_dir=dst,
                  data_checksum="0" * 64, allow_dirty=True)  # fmt: skip
    wait = claim("E.fig4.adam_sgd").verdict()
    assert wait.kind == "pending" and "sgd_momentum0.9 yet" in wait.explanation
    assert (
        "momentum 0 (torch's default): Adam 0.6900 (1 seed), SGD 0.1000 (1 seed), Adam ahead"
        in wait.explanation
    )
    assert [r.reproduces for r in wait.readings] == [True]
    data["runs"].append(_alexnet_run("sgd_momentum0.9", [0.69] * 10))
    record_result("part4/alexnet_study", data, device="cpu", data_source="test", seed=0,
                  wall_time_s=1.0, profile="full", command="test", results_dir=dst,
                  data_checksum="0" * 64, allow_dirty=True)  # fmt: skip
    both = claim("E.fig4.adam_sgd").verdict()
    assert both.kind == "ambiguous" and len(both.readings) == 2


def test_both_batch_readings_are_needed_for_a_cnn_verdict(verdicts: dict[str, Verdict]) -> None:
    v = verdicts["A.table4.lr_best"]
    labels = [r.label for r in v.readings]
    assert labels and labels[0].startswith("batch 4")
    if v.kind == "pending":
        assert "a_cnn_studies_b32" in (v.command or "")
    else:
        assert len(labels) == 2


# ----------------------------------------------------------------------------- the verdict code


def test_binomial_se_and_tolerance() -> None:
    assert binomial_se(0.5, 10_000) == pytest.approx(0.005)
    # two of our runs of one seed each: the test sets' errors only, at z = 1.96
    assert accuracy_tolerance([0.5], 10_000, [0.5], 10_000) == pytest.approx(
        1.959964 * math.sqrt(2) * 0.005, rel=1e-5
    )
    with pytest.raises(ValueError, match="accuracy in"):
        binomial_se(1.5, 10)
    with pytest.raises(ValueError, match="positive number of test images"):
        binomial_se(0.5, 0)
    with pytest.raises(ValueError, match="at least one"):
        accuracy_tolerance([0.5], 100, [], 100)


def test_compare_accuracy_uses_seed_spread_and_rounding() -> None:
    assert compare_accuracy(0.60, 10_000, [0.62], 10_000).kind == "differs"
    # three seeds spread widely: the same mean now sits inside the tolerance
    assert compare_accuracy(0.60, 10_000, [0.58, 0.62, 0.66], 10_000).kind == "reproduced"
    # "55%" covers 54.5-55.5%
    assert compare_accuracy(0.55, 10_000, [0.5660], 10_000).kind == "differs"
    assert compare_accuracy(0.55, 10_000, [0.5660], 10_000, resolution=0.005).kind == "reproduced"


def test_from_readings_kinds() -> None:
    yes, no = Reading("a", True, "1"), Reading("b", False, "2")
    assert from_readings([yes, yes]).kind == "reproduced"
    assert from_readings([yes, no]).kind == "ambiguous"
    assert from_readings([no, no]).kind == "differs"
    assert from_readings([no], wrong_check="counted twice").kind == "report_wrong"
    with pytest.raises(ValueError, match="every reading must be recorded"):
        from_readings([yes, Reading("c", None, "")])
    with pytest.raises(ValueError, match="at least one reading"):
        from_readings([])


def test_verdict_and_claim_validation() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        Verdict("fine", "", "x")
    with pytest.raises(ValueError, match="needs the command"):
        Verdict("pending", "", "x")
    with pytest.raises(ValueError, match="report must be"):
        Claim("F.x", "F", "T", "q", "", lambda c: Verdict("reproduced", "", "x"), check="c")
    with pytest.raises(ValueError, match="must start with its report"):
        Claim("B.x", "A", "T", "q", "", lambda c: Verdict("reproduced", "", "x"), check="c")
    with pytest.raises(ValueError, match="own words"):
        Claim("A.x", "A", "T", "", "", lambda c: Verdict("reproduced", "", "x"), check="c")
    with pytest.raises(ValueError, match="neither an experiment nor a check"):
        Claim("A.x", "A", "T", "q", "", lambda c: Verdict("reproduced", "", "x"))
    bad = Claim("A.x", "A", "T", "q", "", lambda c: "yes", check="c")  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="not Verdict"):
        bad.verdict()
    with pytest.raises(ValueError, match="no claim"):
        claim("A.nope")
    with pytest.raises(ValueError, match="report label"):
        claims_of("Z")


def test_seed_values_and_spread() -> None:
    d = {
        "runs": [{"name": "x_s0", "v": 1.0}, {"name": "x_s1", "v": 3.0}, {"name": "x_seed", "v": 9}]
    }
    assert seed_values(d, "x", "v") == [1.0, 3.0]
    assert fmt_spread([1.0, 3.0], 1) == "2.0 ± 1.4 (2 seeds)"
    with pytest.raises(ValueError, match="at least one value"):
        fmt_spread([])


def test_report_a_internal_checks_read_the_typed_tables() -> None:
    """A's default row differs between Table 3 and Tables 4-5 only in the training loss."""
    t3, t4 = report_a.TABLE3["relu_lr0.001_conv2"], report_a.TABLE4["relu_lr0.001_conv2"]
    assert t3[1:] == t4[1:] and t3[0] != t4[0]
    assert claim("A.tables.default_row").verdict().kind == "report_wrong"
    assert float(report_a.TABLE5["conv1"][3]) < 0.1 < float(report_a.TABLE5["conv1"][1])


def test_d_loss_floor_matches_part4() -> None:
    pytest.importorskip("torch")
    from backprop_book.reports.d import loss_floor
    from backprop_book.torch_nn.experiments import softmax_loss_floor

    for k in (2, 10, 100):
        assert loss_floor(k) == pytest.approx(softmax_loss_floor(k))


def test_a_comparison_won_by_the_other_side_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    from backprop_book.reports import claims as claims_module
    from backprop_book.reports import e
    from backprop_book.reports.stats import Spread

    runs = {"a": [{"test_acc": 0.60}], "b": [{"test_acc": 0.70}]}
    monkeypatch.setattr(e, "_alex", lambda: runs)
    # the study's own spread unmeasured (one seed a run), whatever the record holds now:
    # the tolerance pools the two runs' seeds
    monkeypatch.setattr(claims_module, "study_spread", lambda *a, **k: Spread(0.0, 0, 0))
    rule = e._better("a", "b", "a over b")
    v = rule(claim("E.fig3.batch_norm"))
    assert v.kind == "differs" and v.explanation.startswith(
        "the other way round: b ahead by 0.1000"
    )
    runs["b"][0]["test_acc"] = 0.605  # within the tolerance: no winner
    assert "is not above the tolerance" in rule(claim("E.fig3.batch_norm")).explanation
    runs["b"] = [{"test_acc": 0.50}, {"test_acc": 0.52}]  # every seed is read: the mean
    assert "b 0.5100 ± 0.0141 (2 seeds)" in rule(claim("E.fig3.batch_norm")).ours
    # a spread from two seeds has one degree of freedom: t = 12.7 hides a 9-point gap
    assert rule(claim("E.fig3.batch_norm")).kind == "differs"
    runs["a"] = [{"test_acc": 0.59}, {"test_acc": 0.60}, {"test_acc": 0.61}]
    runs["b"] = [{"test_acc": 0.50}, {"test_acc": 0.51}, {"test_acc": 0.52}]
    assert rule(claim("E.fig3.batch_norm")).kind == "reproduced"  # 4 df: t = 2.78


# ----------------------------------------------------------------------------- the record's basis


def _edit(path: Path, change: Callable[[dict], None]) -> None:
    payload = json.loads(path.read_text(encoding="utf-8"))
    change(payload)
    path.write_text(json.dumps(payload), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda p: p["provenance"].update(profile="quick"), "quick-profile record"),
        (None, "runs pending (mlp_50"),
        (lambda p: p["provenance"].update(data_sha256="unknown"), "names no checksum"),
    ],
    ids=["quick", "partial", "no-checksum"],
)
def test_a_verdict_checks_its_record(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[dict], None] | None,
    why: str,
) -> None:
    """A quick, partial or unsourced record gives *pending*, with the command that settles it."""
    assert claim("B.q4c.test").verdict().kind != "pending"
    dst = _copy_results(tmp_path)
    monkeypatch.setenv(RESULTS_ENV, str(dst))
    folder = dst / "part4" / "b_mlps"
    if change is None:  # a run listed by the index without its file: still to train
        (folder / "runs" / "s1" / "mlp_50.json").unlink()
    else:
        for index in (folder / "index").glob("*.json"):
            _edit(index, change)
    v = claim("B.q4c.test").verdict()
    assert v.kind == "pending" and why in v.explanation, v
    assert v.command == "backprop-book reproduce part4/b_mlps --profile full --record"


class _Tracked(dict):
    """A seed's output (or one of its rows) that notes which seeds a rule read."""

    def __init__(self, data: dict, seed: int, log: set[int]) -> None:
        super().__init__(data)
        self.seed, self.log = seed, log
        if isinstance(data.get("runs"), list):
            super().__setitem__("runs", [_Tracked(r, seed, log) for r in data["runs"]])

    def _note(self, key: object) -> None:
        if key not in ("runs", "name", "pending_runs"):
            self.log.add(self.seed)

    def __getitem__(self, key: object) -> object:
        self._note(key)
        return super().__getitem__(key)

    def get(self, key: object, default: object = None) -> object:
        self._note(key)
        return super().get(key, default)


#: Claims that read a record of several seeds but need only one of them, with why.
ONE_SEED_ENOUGH: dict[str, str] = {}


def test_every_rule_reads_every_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule that reads a record of k seeds reads a figure of each of the k seeds."""
    from backprop_book.reports import a, b, c, claims, d, e

    real = claims.seed_outputs
    log: set[int] = set()

    def tracked(data: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [_Tracked(o, i, log) for i, o in enumerate(real(data))]

    for module in (claims, a, b, c, d, e):
        if hasattr(module, "seed_outputs"):
            monkeypatch.setattr(module, "seed_outputs", tracked)
    checked = 0
    for cl in CLAIMS:
        data = claims.record(cl.experiment) if cl.experiment else None
        k = len(real(data)) if data else 0
        if k < 2 or cl.id in ONE_SEED_ENOUGH:
            continue
        log.clear()
        cl.verdict()
        assert log == set(range(k)), f"{cl.id} read seeds {sorted(log)} of {k}"
        checked += 1
    assert checked >= 20


def test_the_listing_shows_the_basis() -> None:
    """``reproduce --list --json``: seeds of every record read, tolerance parts, readings."""
    from backprop_book.reports import claims as claims_mod
    from backprop_book.reports.index import listing

    rows = {r["id"]: r for r in listing(report="A")}

    def held(study: str, run: str) -> int:  # the seeds the record holds for one run
        data = claims_mod.record(study)
        assert data is not None, study
        return len(claims_mod.seed_rows(data, run))

    tanh = rows["A.table3.tanh"]
    cnn = ("part4/a_cnn_studies", "part4/a_cnn_studies_b32")
    assert tanh["seeds"] == {s: held(s, "tanh") for s in cnn}
    assert tanh["run_seeds"] == {"tanh": held("part4/a_cnn_studies", "tanh")}
    assert tanh["open"] == list(claim("A.table3.tanh").open)
    b32 = tanh["readings"][1]
    assert b32["label"].startswith("batch 32") and b32["tolerance"]["seeds"] == 3
    assert b32["tolerance"]["seed_df"] == 16 and b32["tolerance"]["data_shift"] > 0
    fc2 = rows["A.table2.fc2"]
    assert fc2["seeds"] == {"part4/a_fc_depth": held("part4/a_fc_depth", "fc2")}
    assert fc2["tolerance"]["seeds"] == held("part4/a_fc_depth", "fc2")
    assert fc2["tolerance"]["binomial_report"] == pytest.approx(0.005, abs=2e-4)
    assert rows["A.q1.backprop"]["seeds"] == {} and rows["A.q1.backprop"]["tolerance"] is None
    assert rows["A.q1.backprop"]["compared"] == [] and rows["A.q1.backprop"]["run_seeds"] == {}
    # a comparison of two of the book's runs lists its tolerance's parts too
    bn = {r["id"]: r for r in listing(report="E")}["E.fig3.batch_norm"]
    assert len(bn["compared"]) == 1 and bn["tolerance"] is None
    assert f"tolerance {bn['compared'][0]['total']:.4f}" in bn["explanation"]
    assert bn["compared"][0]["report_seeds"] == bn["run_seeds"]["adam_lr1e-3_b100"]


def test_an_open_setting_without_a_record_cannot_make_a_report_wrong() -> None:
    """*report wrong* and *not under any reading* need a record of every declared reading."""
    unrun = Open("layout", {"the book's": "part4/a_cnn_studies", "the listing's": None})
    kw: dict[str, Any] = {"check": "c", "open": ("layout",), "chapter": "part4/report_a"}
    wrong = Claim("A.x.y", "A", "T", "q", "", lambda c: Verdict("report_wrong", "", "false"),
                  readings=(unrun,), **kw)  # fmt: skip
    v = wrong.verdict()
    assert v.kind == "differs" and v.explanation.endswith("not run layout: the listing's")
    none = [Reading("the book's", False, "0.5"), Reading("batch 32", False, "0.4")]
    every = Claim("A.x.z", "A", "T", "q", "", lambda c: from_readings(none),
                  readings=(unrun,), **kw)  # fmt: skip
    v = every.verdict()
    assert v.kind == "differs" and "any reading" not in v.explanation, v
    ran = Open("layout", {"the book's": "part4/a_cnn_studies", "by a check": CHECK})
    done = Claim("A.x.w", "A", "T", "q", "", lambda c: Verdict("report_wrong", "", "false"),
                 readings=(ran,), **kw)  # fmt: skip
    assert done.verdict().kind == "report_wrong"
    missing = Open("layout", {"not recorded": "part4/nothing_recorded"})
    assert missing.unrun() == ["not recorded"]


def test_no_claim_is_wrong_under_a_reading_not_run(verdicts: dict[str, Verdict]) -> None:
    for c in CLAIMS:
        v = verdicts[c.id]
        final = v.kind == "report_wrong" or "under any reading" in v.explanation
        if final:
            assert not [u for o in c.readings for u in o.unrun()], c.id
    declared = {c.id for c in CLAIMS if c.readings}
    assert {"A.table5.conv3", "C.q10.adam_improvement", "D.q5.inputs"} <= declared


def _curve_run(acc: list[float], loss: list[float]) -> dict:
    hist = [{"epoch": i + 1, "test_acc": a, "test_loss": lo} for i, (a, lo) in
            enumerate(zip(acc, loss, strict=True))]  # fmt: skip
    return {"test_acc": acc[-1], "history": hist}


def test_e_overfitting_is_judged_over_seeds_as_e_describes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Test loss rising while test accuracy falls after about epoch 8, on the mean of 3 seeds."""
    from backprop_book.reports import e

    loss = [1.4, 1.2, 1.1, 1.0, 0.97, 0.95, 0.94, 0.93, 0.98, 1.05]
    falls = [0.50, 0.57, 0.62, 0.64, 0.66, 0.67, 0.68, 0.70, 0.68, 0.66]
    flat = [0.50, 0.57, 0.62, 0.64, 0.66, 0.67, 0.68, 0.70, 0.70, 0.70]
    runs: dict[str, list[dict]] = {}
    monkeypatch.setattr(e, "_alex", lambda: runs)
    c = claim("E.fig6.overfit")
    runs.update({r: [_curve_run(falls, loss)] for r in ("adam_lr1e-3_b100", "batch500")})
    v = c.verdict()  # one seed: the finding waits for three
    assert v.kind == "pending" and "--seeds 3" in (v.command or "") and "it holds" in v.explanation
    runs.update({r: [_curve_run(falls, loss)] * 3 for r in runs})
    assert c.verdict().kind == "reproduced"
    # a dip of one seed is not E's finding: the mean over seeds barely falls
    dip = [0.50, 0.57, 0.62, 0.64, 0.66, 0.67, 0.68, 0.70, 0.70, 0.64]
    runs["batch500"] = [_curve_run(dip, loss), _curve_run(flat, loss), _curve_run(flat, loss)]
    v = c.verdict()
    assert v.kind == "differs" and "3 seeds" in v.ours
    ok, text = e.overfitting([_curve_run(falls, loss)] * 3, after=8)
    assert ok and "lowest at epoch 8" in text
    late = [*loss[:7], 0.95, 0.94, 0.93]  # still falling at the end: no overfitting
    assert not e.overfitting([_curve_run(falls, late)] * 3, after=8)[0]
    # "both": batch 100 over 3 seeds without it settles the claim, whatever batch 500 has
    runs.update({"adam_lr1e-3_b100": [_curve_run(flat, loss)] * 3,
                 "batch500": [_curve_run(falls, loss)]})  # fmt: skip
    v = c.verdict()
    assert v.kind == "differs" and "not shown by adam_lr1e-3_b100" in v.explanation
    # it says which part of E's description holds and which does not
    assert "holds: the test loss rises after its lowest epoch (8)" in v.explanation
    assert "does not: the test accuracy falls" in v.explanation
    assert "batch500 has fewer seeds" in v.explanation
    # it shows on 3 seeds and batch 500 has 1: that waits
    runs["adam_lr1e-3_b100"] = [_curve_run(falls, loss)] * 3
    assert c.verdict().kind == "pending"


def test_alexnet_seeds_added_run_by_run_reach_e_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One more seed of two AlexNet runs, written as the record contract writes one call
    (run files + an index entry naming only those runs), is read by E's rules and leaves
    the record verdict-ready (no run pending)."""
    import dataclasses as dc

    from backprop_book.records import load_record, write_index, write_run
    from backprop_book.reports.claims import record_problem

    dst = _copy_results(tmp_path)
    monkeypatch.setenv(RESULTS_ENV, str(dst))
    name = "part4/alexnet_study"
    rec = load_record(name)
    seed0 = {r["name"]: dict(r) for r in rec["runs"]}
    runs = ("adam_lr1e-3_b100", "batch_norm")
    had = {r: len(rec.runs(r)) for r in (*runs, "lr1e-4")}  # what the record holds now
    new = max(rec.seeds) + 1
    call = f"20991231T000000.000000Z-seed{new}"
    for r in runs:
        write_run(dst / name, name, new, call,
                  {**seed0[r], "test_acc": seed0[r]["test_acc"] - 0.01})  # fmt: skip
    fields = {k: v for k, v in rec.outputs()[0][1].items() if k not in ("runs", "profile")}
    write_index(dst / name, name, call, dc.replace(rec.provenance, seeds=[new]),
                {new: {**fields, "runs": list(runs)}}, [])  # fmt: skip
    assert record_problem(name) is None
    k = had["adam_lr1e-3_b100"] + 1
    assert had["batch_norm"] + 1 == k
    v = claim("E.fig3.batch_norm").verdict()
    assert f"({k} seeds)" in v.ours and v.kind in ("reproduced", "differs")
    basis = claim("E.fig3.batch_norm").basis()
    assert basis["seeds"] == {name: k}
    assert basis["run_seeds"] == {"adam_lr1e-3_b100": k, "batch_norm": k}
    basis = claim("E.fig5.lr_similar").basis()  # lr1e-4 has fewer seeds
    assert basis["seeds"] == {name: had["lr1e-4"]}
    assert basis["run_seeds"] == {"adam_lr1e-3_b100": k, "lr1e-4": had["lr1e-4"]}


def _pool3_record(dst: Path, batch4: list[float], batch32: list[float], **kw: Any) -> None:
    """A record of ``part4/a_conv3_pool3`` (one row per seed, ``<run>_s<k>``) under ``dst``."""
    from backprop_book.results import record_result

    runs = [
        {"name": f"{run}_s{k}", "test_acc": a, "train_acc": a + 0.05, "train_eval_acc": a + 0.1}
        for run, accs in (("batch4", batch4), ("batch32", batch32))
        for k, a in enumerate(accs)
    ]
    opts: dict[str, Any] = {"profile": "full", **kw}
    record_result(report_a.POOL3, {"runs": runs}, device="cpu", data_source="test", seed=0,
                  wall_time_s=1.0, command="test", results_dir=dst, data_checksum="0" * 64,
                  allow_dirty=True, **opts)  # fmt: skip


def _drop_pool3(dst: Path) -> None:
    shutil.rmtree(dst / "part4" / "a_conv3_pool3", ignore_errors=True)  # a study folder
    (dst / "part4" / "a_conv3_pool3.json").unlink(missing_ok=True)  # or one file


def test_conv3_claims_read_the_three_pooling_record_once_it_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A's three-conv layout: the book's and Net2's three poolings, each at batch 4 and 32."""
    ids = ("A.table5.conv3", "A.table5.conv3_best", "A.table5.conv3_train",
           "A.conclusion.conv_layers")  # fmt: skip
    dst = _copy_results(tmp_path)
    monkeypatch.setenv(RESULTS_ENV, str(dst))
    assert report_a.CONV3_LAYOUT.values[report_a.POOL3_LAYOUT] == report_a.POOL3
    _drop_pool3(dst)  # whatever the results hold now
    # not recorded: judged on the book's layout only, and never final
    for cid in ids:
        v = claim(cid).verdict()
        assert not any(r.label.startswith("three poolings") for r in v.readings), cid
        assert v.kind == "pending" or "not run the three-conv layout" in v.explanation, cid
    # a quick-profile record cannot carry the reading: the same as none
    _pool3_record(dst, [0.30], [0.30], profile="quick")
    before = claim("A.table5.conv3").verdict()
    assert "not run the three-conv layout" in before.explanation
    assert report_a.CONV3_LAYOUT.unrun() == [report_a.POOL3_LAYOUT]
    # recorded: the three-pooling net at batch 4 has A's 0.7195; at batch 32 it does not
    _drop_pool3(dst)
    _pool3_record(dst, [0.715, 0.72, 0.724], [0.57, 0.575, 0.58])
    assert report_a.CONV3_LAYOUT.unrun() == []
    v = claim("A.table5.conv3").verdict()
    labels = [r.label.split(" (")[0] for r in v.readings]
    assert labels == ["batch 4", "batch 32", "three poolings, batch 4", "three poolings, batch 32"]
    assert [r.reproduces for r in v.readings] == [False, False, True, False]
    assert v.kind == "ambiguous" and "not run" not in v.explanation
    pool3_b4 = v.readings[2]
    assert pool3_b4.ours.startswith(fmt_spread([0.715, 0.72, 0.724]))  # the new record's seeds
    assert pool3_b4.tolerance is not None and pool3_b4.tolerance.seed_df == 4  # its own spread
    assert report_a.POOL3 in v.records
    best = claim("A.table5.conv3_best").verdict()
    assert [r.reproduces for r in best.readings] == [False, False, True, False]
    assert best.readings[2].ours.startswith("conv3 0.7197")
    from backprop_book.reports.claims import record

    conv1 = fmt_spread(seed_values(record(report_a.B4), "conv1"))
    assert f"conv1 {conv1}" in best.readings[2].ours  # from the batch-4 study
    train = claim("A.table5.conv3_train").verdict()
    assert len(train.readings) == 8
    assert sum(r.label.startswith("three poolings") for r in train.readings) == 4
    impact = claim("A.conclusion.conv_layers").verdict()
    assert len(impact.readings) == 4 and impact.kind != "pending"
    assert "not run" not in impact.explanation
    # a wrong conv3 figure everywhere is final now: every declared reading has a record
    _drop_pool3(dst)
    _pool3_record(dst, [0.5, 0.51, 0.52], [0.5, 0.51, 0.52])
    v = claim("A.table5.conv3").verdict()
    assert v.kind == "differs" and "not reproduced under any reading" in v.explanation


def test_conv3_parameter_claim_is_checked_under_both_layouts() -> None:
    v = claim("A.table5.conv3_params").verdict()
    assert [r.label for r in v.readings] == [report_a.BOOK_LAYOUT, report_a.POOL3_LAYOUT]
    assert "3 conv 114,646" in v.readings[0].ours and "3 conv 78,262" in v.readings[1].ours
    assert all("1 conv 152,710" in r.ours for r in v.readings)
    # more parameters than two conv layers under both, fewer than one: false as A words it
    assert v.kind == "report_wrong" and "fewer than the one-conv net's 152,710" in v.explanation
    assert not report_a.CONV3_PARAMS_LAYOUT.unrun()
