"""CPU training speed against the machine's own limit: FLOP rates in one run.

For each thread count (1 and all cores) this measures, in one process:

``matmul``
    A float32 ``2048 x 2048`` matrix product (``2 n^3`` FLOPs): about the fastest
    arithmetic this CPU and this BLAS reach, the *limit*.
``trainer``
    :class:`~backprop_book.torch_nn.trainer.Trainer` training one epoch (on fake
    CIFAR-sized images held in memory) of AlexNet-CIFAR (E's settings: Adam, batch
    100), the tutorial CNN (SGD, batch 4 as the tutorial trains it) and an MLP
    (3072-1024-1024-10, batch 100). The FLOPs of a training step are counted from
    the model itself with :class:`torch.utils.flop_counter.FlopCounterMode`
    (forward and backward of the convolutions and matrix products; the optimizer's
    and the activations' element-wise work is not counted: it moves memory, it
    adds no multiply-adds).

Each row is a :class:`~benchmarks.common.Comparison` whose baseline is the time the
matmul would need for the trainer's FLOPs, so ``speedup`` is the trainer's share of
the matmul rate (1.0 = as fast as the matmul). Target: AlexNet training at 70% of
the matmul rate on the same threads.

Then, for AlexNet, what the field offers, each against the plain training step at
the same threads: ``channels_last`` memory format, oneDNN off
(``torch.backends.mkldnn.enabled = False``), ``torch.compile`` (compile time
reported, not counted; skipped by ``--quick``), batch 500 (E's largest), and, for evaluation,
``torch.inference_mode`` against ``torch.no_grad``.

``python -m benchmarks.bench_flops [--quick] [--record]`` prints the rows;
``--record`` writes ``docs/results/part4/bench_flops.json`` for the book. On a lent
GPU, ``--device cuda`` instead times one epoch of the tutorial CNN and of AlexNet in
float32 and in mixed precision (:func:`epoch_rows`) and records
``bench_flops_cuda.json``.
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, cast

import torch

from benchmarks.common import Comparison, time_side_by_side

#: model name -> (model args, optimizer, batch size): the settings the book trains them at
MODELS: dict[str, tuple[dict[str, Any], str, int]] = {
    "alexnet": ({}, "adam", 100),
    "tutorial_cnn": ({}, "sgd", 4),
    "mlp": ({"hidden_sizes": [1024, 1024]}, "sgd", 100),
}
#: AlexNet's training must reach this share of the matmul rate on the same threads
TARGET_SHARE = 0.7
MATMUL_N = 2048


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Run a block at ``n`` torch threads, then restore the previous setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def thread_counts() -> tuple[int, ...]:
    """1 and all cores (just 1 on a one-core machine).

    >>> thread_counts()[0]
    1
    """
    n = os.cpu_count() or 1
    return (1, n) if n > 1 else (1,)


def matmul_rate(n: int = MATMUL_N, repeats: int = 5) -> float:
    """FLOP/s of a float32 ``n x n`` matrix product at the current threads (median).

    >>> matmul_rate(64, repeats=2) > 0
    True
    """
    gen = torch.Generator().manual_seed(0)
    a, b = torch.randn(n, n, generator=gen), torch.randn(n, n, generator=gen)
    a @ b
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return 2 * n**3 / statistics.median(times)


def _io_shape(model: torch.nn.Module) -> tuple[tuple[int, ...], int]:
    """A model's input image shape and its number of classes (``ImageClassifier`` fields)."""
    shape = cast(tuple[int, ...], model.input_shape)
    return tuple(shape), int(cast(int, model.num_classes))


def training_flops(model: torch.nn.Module, batch: int) -> int:
    r"""FLOPs of one training step's forward and backward pass on ``batch`` images.

    A linear layer ``s = h W^T`` costs :math:`2 B n_{in} n_{out}` FLOPs forward and as
    much for each gradient it needs, ``dW`` always and ``dh`` except for the first
    layer (the images need no gradient): for a 3072-8-10 MLP at batch 2,
    :math:`2\cdot 2\,(2\cdot 3072\cdot 8 + 3\cdot 8\cdot 10)`.

    >>> from backprop_book.torch_nn.models import build_model
    >>> training_flops(build_model("mlp", hidden_sizes=[8]), 2) == 4 * (2 * 3072 * 8 + 3 * 80)
    True
    """
    from torch.utils.flop_counter import FlopCounterMode

    shape, classes = _io_shape(model)
    x = torch.randn(batch, *shape)
    y = torch.randint(0, classes, (batch,))
    counter = FlopCounterMode(display=False)
    with counter:
        torch.nn.functional.cross_entropy(model(x), y).backward()
    model.zero_grad(set_to_none=True)
    return int(counter.get_total_flops())


def _trainer(name: str, n_images: int, n_threads: int) -> Any:
    from backprop_book.torch_nn.data import fake_cifar10
    from backprop_book.torch_nn.trainer import TrainConfig, Trainer

    args, opt, batch = MODELS[name]
    data = fake_cifar10(n_images, seed=0)
    test = fake_cifar10(10, seed=1)
    cfg = TrainConfig(
        model=name, model_args=args, optimizer=opt, lr=1e-3, batch_size=batch, epochs=1,
        device="cpu", data="fake", threads=n_threads,
    )  # fmt: skip
    return Trainer(cfg, data=(data, None, test))


def _bare_step(
    model: torch.nn.Module,
    batch: int,
    opt_name: str = "adam",
    channels_last: bool = False,
    update: dict[str, bool] | None = None,
) -> Callable[[], None]:
    """One plain training step (zero_grad, forward, loss, backward, update), the
    update as the trainer makes it on the CPU unless ``update`` says otherwise."""
    from backprop_book.torch_nn.devices import cpu_update_kwargs

    gen = torch.Generator().manual_seed(0)
    shape, classes = _io_shape(model)
    x = torch.randn(batch, *shape, generator=gen)
    y = torch.randint(0, classes, (batch,), generator=gen)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    cls = torch.optim.Adam if opt_name == "adam" else torch.optim.SGD
    kwargs: dict[str, Any] = dict(update or cpu_update_kwargs(opt_name))
    opt = cls(model.parameters(), lr=1e-3, **kwargs)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    return step


def _alexnet(channels_last: bool = False) -> torch.nn.Module:
    from backprop_book.torch_nn.models import build_model

    torch.manual_seed(0)
    m = build_model("alexnet")
    return m.to(memory_format=torch.channels_last) if channels_last else m


def _repeat(step: Callable[[], None], k: int) -> Callable[[], None]:
    def run() -> None:
        for _ in range(k):
            step()

    return run


def rate_rows(
    quick: bool, models: tuple[str, ...] = tuple(MODELS), images: int | None = None
) -> list[Comparison]:
    """The trainer's FLOP rate against the matmul's, per model and thread count
    (``images``: the epoch's size for every model, default by model and profile)."""
    out = []
    n_epoch = {"alexnet": 200 if quick else 2000, "tutorial_cnn": 200 if quick else 4000,
               "mlp": 500 if quick else 10000}  # fmt: skip
    reps = 1 if quick else 3
    for n in thread_counts():
        with threads(n):
            limit = matmul_rate(repeats=3 if quick else 7)
            for name in models:
                batch = MODELS[name][2]
                t = _trainer(name, images or n_epoch[name], n)
                flops = training_flops(t.model, batch) / batch * len(t.train_data)
                times = {"trainer": lambda t=t: t.train_epoch()}
                # the first (untimed) epoch warms the kernels and the allocator
                secs = time_side_by_side(times, repeats=reps, warmup=1)["trainer"]
                limit = (limit + matmul_rate(repeats=3 if quick else 7)) / 2  # before and after
                share = flops / secs / limit
                out.append(
                    Comparison(
                        f"{name} training, batch {batch}, {n} thread(s): share of the matmul rate",
                        "matmul at the same FLOPs", "trainer", flops / limit, secs, reps,
                        1 / TARGET_SHARE if name == "alexnet" else None,
                        f"{flops / len(t.train_data) / 1e6:.1f} MFLOP per image; trainer "
                        f"{flops / secs / 1e9:.1f} GFLOP/s, matmul {limit / 1e9:.1f} GFLOP/s"
                        + (f"; target: at least {TARGET_SHARE:.0%} of the matmul rate"
                           if name == "alexnet" else ""),
                        case={"kind": "rate", "model": name, "batch_size": batch, "threads": n,
                              "images": len(t.train_data), "flops_per_image":
                              flops / len(t.train_data), "trainer_flops_per_s": flops / secs,
                              "matmul_flops_per_s": limit, "share_of_matmul": share},
                    )
                )  # fmt: skip
    return out


def _compiled_step(batch: int) -> tuple[Callable[[], None], float] | None:
    """A ``torch.compile``-d AlexNet step and its compile time (None where compiling fails)."""
    model = _alexnet()
    try:
        compiled = torch.compile(model)
        step = _bare_step(compiled, batch)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            step()
            step()
        return step, time.perf_counter() - t0
    except Exception:  # no C++ compiler, an unsupported platform ...: report, do not fail
        return None


#: share of AlexNet's weights given a zero gradient and a denormal first moment in the
#: update benchmark (after one epoch of E's study at batch 10, 77% of the moments were)
DEAD_SHARE = 0.75


def _adam_update(
    flush: bool, dead_share: float = DEAD_SHARE
) -> tuple[Callable[[], None], torch.optim.Optimizer]:
    """Adam's update alone (the trainer's fused CPU kernel) on AlexNet's weights, a
    ``dead_share`` of which have a zero gradient and a denormal first moment, as
    weights behind dead units have after some hundreds of steps; each call of the
    returned step sets the denormal mode (``flush``) in every thread first."""
    from backprop_book.torch_nn.denormals import flush_denormals
    from backprop_book.torch_nn.devices import cpu_update_kwargs

    gen = torch.Generator().manual_seed(0)
    params = [p.detach().clone().requires_grad_() for p in _alexnet().parameters()]
    kwargs: dict[str, Any] = dict(cpu_update_kwargs("adam"))
    opt = torch.optim.Adam(params, lr=1e-3, **kwargs)
    for p in params:
        p.grad = torch.randn(p.shape, generator=gen) * 1e-3
    opt.step()  # the moments exist, all normal numbers
    for p in params:
        dead = torch.rand(p.shape, generator=gen) < dead_share
        assert p.grad is not None
        p.grad[dead] = 0.0
        # the bit pattern 1 << 20 is the denormal 1.47e-39 (no float arithmetic,
        # which a flushing thread would turn into zero)
        opt.state[p]["exp_avg"].view(torch.int32)[dead] = 1 << 20

    def step() -> None:
        flush_denormals(flush, check=False)
        opt.step()

    return step, opt


def denormal_rows(quick: bool) -> list[Comparison]:
    """The update with denormal moments kept against flushed (the trainer's default)."""
    from backprop_book.torch_nn.denormals import flush_denormals

    out = []
    k, reps = (1, 1) if quick else (3, 3)
    for n in thread_counts():
        with threads(n):
            fns: dict[str, Callable[[], object]] = {
                "flushed": _repeat(_adam_update(True)[0], k),
                "denormals kept": _repeat(_adam_update(False)[0], k),
            }
            t = time_side_by_side(fns, repeats=reps, warmup=1)
            flush_denormals(False)
            out.append(
                Comparison(
                    f"alexnet Adam update, {n} thread(s): denormals kept vs flushed",
                    "flushed", "denormals kept", t["flushed"], t["denormals kept"], reps, None,
                    f"{k} update(s) per call; {DEAD_SHARE:.0%} of the first moments denormal",
                    case={"kind": "option", "model": "alexnet", "option": "denormals kept",
                          "batch_size": None, "threads": n},
                )
            )  # fmt: skip
    return out


def option_rows(quick: bool) -> list[Comparison]:
    """What the field offers for AlexNet, each against the plain step at the same threads."""
    out = []
    k = 1 if quick else 3  # steps per timed call
    reps = 1 if quick else 3
    # E's batch sizes 100 and 500; a smoke run (quick) uses 10 and 50 to stay cheap
    batch, big = (10, 50) if quick else (MODELS["alexnet"][2], 500)
    flops_per_image = training_flops(_alexnet(), 1)
    for n in thread_counts():
        with threads(n):
            fns: dict[str, Callable[[], None]] = {
                "plain": _repeat(_bare_step(_alexnet(), batch), k),
                "channels_last": _repeat(_bare_step(_alexnet(True), batch, channels_last=True), k),
                f"batch {big}": _repeat(_bare_step(_alexnet(), big), k),
                # the trainer's update before it took the fused kernel
                "multi-tensor update": _repeat(
                    _bare_step(_alexnet(), batch, update={"foreach": True}), k
                ),
            }
            no_dnn = _repeat(_bare_step(_alexnet(), batch), k)

            def mkldnn_off(f: Callable[[], None] = no_dnn) -> None:
                with torch.backends.mkldnn.flags(enabled=False):
                    f()

            fns["oneDNN off"] = mkldnn_off
            comp = None if quick else _compiled_step(batch)
            if comp is not None:
                fns["torch.compile"] = _repeat(comp[0], k)
            t = time_side_by_side(fns, repeats=reps, warmup=1)
            for name in fns:
                if name == "plain":
                    continue
                images = big if name == f"batch {big}" else batch
                base = t["plain"] * images / batch  # the plain step's time for as many images
                note = f"{flops_per_image * images * k / t[name] / 1e9:.1f} GFLOP/s"
                if name == "torch.compile" and comp is not None:
                    note += f"; compile time {comp[1]:.0f} s, not counted"
                out.append(
                    Comparison(
                        f"alexnet batch {batch}, {n} thread(s): {name} vs plain step", "plain step",
                        name,
                        base, t[name], reps, None, note,
                        case={"kind": "option", "model": "alexnet", "option": name,
                              "batch_size": images, "threads": n},
                    )
                )  # fmt: skip
            # evaluation: inference_mode against no_grad, batch 1000 as the trainer evaluates
            model = _alexnet().eval()
            x = torch.randn(1000 if not quick else 100, 3, 32, 32)

            def ng(model: torch.nn.Module = model, x: torch.Tensor = x) -> None:
                with torch.no_grad():
                    model(x)

            def im(model: torch.nn.Module = model, x: torch.Tensor = x) -> None:
                with torch.inference_mode():
                    model(x)

            te = time_side_by_side({"no_grad": ng, "inference_mode": im}, repeats=reps, warmup=1)
            out.append(
                Comparison(
                    f"alexnet evaluation, {n} thread(s): inference_mode vs no_grad", "no_grad",
                    "inference_mode", te["no_grad"], te["inference_mode"], reps, None,
                    f"{len(x)} images", case={"kind": "option", "model": "alexnet",
                    "option": "inference_mode", "batch_size": len(x), "threads": n},
                )
            )  # fmt: skip
    return out


def epoch_rows(
    device: str,
    quick: bool,
    models: tuple[str, ...] = ("tutorial_cnn", "alexnet"),
    images: int | None = None,
) -> list[Comparison]:
    """One training epoch of each model in float32 and in mixed precision, with their times.

    For a lent GPU (``--device cuda``): the tutorial CNN at batch 4 and AlexNet at E's
    batch 100 over 50,000 images (the size of CIFAR-10's training set; ``--quick``:
    ``images`` or 200), after an untimed warm-up epoch on 10% of them. The trainer
    uses float16 autocast only on CUDA, so elsewhere both rows run float32.
    """
    from backprop_book.torch_nn.data import fake_cifar10
    from backprop_book.torch_nn.trainer import TrainConfig, Trainer

    n = images if images is not None else (200 if quick else 50_000)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    out = []
    for name in models:
        args, opt, batch = MODELS[name]
        secs: dict[bool, float] = {}
        for amp in (False, True):
            for size, timed in ((max(n // 10, batch), False), (n, True)):
                cfg = TrainConfig(
                    model=name, model_args=args, optimizer=opt, lr=1e-3, batch_size=batch,
                    epochs=1, device=device, data="fake", amp=amp,
                )  # fmt: skip
                t = Trainer(cfg, data=(fake_cifar10(size, seed=0), None, fake_cifar10(10)))
                sync()
                t0 = time.perf_counter()
                t.train_epoch()
                sync()
                if timed:
                    secs[amp] = time.perf_counter() - t0
        used_amp = bool(t.use_amp)
        out.append(
            Comparison(
                f"{name} epoch, {n:,} images, batch {batch}, {device}: mixed precision vs float32",
                "float32", "mixed precision" if used_amp else "float32 (no autocast here)",
                secs[False], secs[True], 1, None,
                f"{n / secs[False]:.0f} images/s in float32, {n / secs[True]:.0f} with amp",
                case={"kind": "epoch", "model": name, "batch_size": batch, "images": n,
                      "device": device, "amp": used_amp, "epoch_s_float32": secs[False],
                      "epoch_s_amp": secs[True]},
            )
        )  # fmt: skip
    return out


def run(quick: bool) -> list[Comparison]:
    """Every row: FLOP-rate shares, then AlexNet's options and its update with denormal
    moments kept (``nox -s bench`` calls this)."""
    return rate_rows(quick) + option_rows(quick) + denormal_rows(quick)


def summary(rows: list[Comparison]) -> dict[str, Any]:
    """The numbers the book quotes: AlexNet's share of the matmul rate per thread count, and
    each option's speed-up over the plain step (above 1: the option is faster)."""
    share = {
        str(r.case["threads"]): r.case["share_of_matmul"]
        for r in rows
        if r.case.get("kind") == "rate" and r.case.get("model") == "alexnet"
    }
    options: dict[str, dict[str, float]] = {}
    for r in rows:
        if r.case.get("kind") == "option":
            options.setdefault(str(r.case["option"]), {})[str(r.case["threads"])] = r.speedup
    return {"alexnet_share_of_matmul": share, "option_speedups": options,
            "target_share": TARGET_SHARE}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Print the rows; ``--record`` writes docs/results/part4/bench_flops.json."""
    from backprop_book.results import record_result
    from benchmarks.run import blas_info

    args = sys.argv[1:] if argv is None else argv
    quick = "--quick" in args
    device = args[args.index("--device") + 1] if "--device" in args else "cpu"
    t0 = time.perf_counter()
    rows = run(quick) if device == "cpu" else epoch_rows(device, quick)
    for c in rows:
        met = "" if c.meets_target is None else ("  meets target" if c.meets_target else "  MISSES")
        print(f"{c.name:<72} {c.candidate} {c.candidate_s:7.2f} s vs {c.baseline_s:7.2f} s "
              f"-> {c.speedup:5.2f}x{met}  [{c.note}]")  # fmt: skip
    s = summary(rows)
    if device == "cpu":
        print("AlexNet share of the matmul rate:",
              ", ".join(f"{k} thread(s) {v:.0%}" for k, v in s["alexnet_share_of_matmul"].items()))  # fmt: skip
    if "--record" in args:
        suffix = "" if device == "cpu" else "_" + device.split(":")[0]
        record_result(
            f"part4/bench_flops{suffix}",
            {"rows": [c.as_dict() for c in rows], "summary": s, "blas": blas_info(),
             "cpu_count": os.cpu_count()},
            device=device, data_source="fake CIFAR-sized images (speed only)", seed=0,
            wall_time_s=time.perf_counter() - t0, profile="quick" if quick else "full",
        )  # fmt: skip
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
