from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from backprop_book.torch_nn import data as D
from backprop_book.torch_nn.checkpoint import load_checkpoint
from backprop_book.torch_nn.config import TrainConfig
from backprop_book.torch_nn.devices import cpu_update_kwargs, resolve_device
from backprop_book.torch_nn.trainer import Trainer

pytestmark = pytest.mark.part4
ROOT = Path(__file__).resolve().parents[2]


def small(**kw):
    base = dict(
        model="tutorial_cnn", data="fake", max_train=96, max_test=32, batch_size=16,
        epochs=3, device="cpu", seed=0,
    )  # fmt: skip
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture(scope="module")
def fake():
    return D.load_data("fake", max_train=96, max_test=32, val_size=32, seed=0)


def weights(t):
    return {k: v.clone() for k, v in t.model.state_dict().items()}


def test_same_seed_same_weights_different_seed_different(fake):
    a = Trainer(small(epochs=1), data=fake)
    a.fit()
    b = Trainer(small(epochs=1), data=fake)
    b.fit()
    c = Trainer(small(epochs=1, seed=1), data=fake)
    c.fit()
    wa, wb, wc = weights(a), weights(b), weights(c)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)


def test_trainer_leaves_the_global_rng_alone_and_draws_what_a_global_seed_drew(fake):
    """No torch.manual_seed: the global generator is untouched, a draw elsewhere does not
    change the run, and the model starts from the weights ``torch.manual_seed(seed)``
    followed by building the model gives (so recorded runs stay valid)."""
    from backprop_book.torch_nn.models import build_model

    kw = dict(model="grayscale_net", model_args={"dropout": 0.5, "in_shape": [3, 32, 32]}, seed=3)
    torch.manual_seed(999)
    before = torch.get_rng_state()
    a = Trainer(small(epochs=1, **kw), data=fake)
    start = weights(a)
    assert torch.equal(torch.get_rng_state(), before)
    a.fit()
    assert torch.equal(torch.get_rng_state(), before)
    b = Trainer(small(epochs=1, **kw), data=fake)
    torch.rand(100)  # a draw between construction and training (dropout used to see it)
    b.fit()
    assert all(torch.equal(v, weights(b)[k]) for k, v in weights(a).items())
    torch.manual_seed(3)
    ref = build_model("grayscale_net", dropout=0.5, in_shape=[3, 32, 32]).state_dict()
    assert all(torch.equal(v, start[k]) for k, v in ref.items())


@pytest.mark.parametrize(
    "kw",
    [
        dict(optimizer="adam", lr=1e-3, schedule="step", step_size=1, gamma=0.5, augment=True),
        dict(
            model="grayscale_net", model_args={"dropout": 0.5, "in_shape": [3, 32, 32]},
            optimizer="rmsprop", lr=1e-4, schedule="cosine",
        ),
    ],
)  # fmt: skip
def test_resume_is_bit_identical(tmp_path, fake, kw):
    """Stopped after epoch 1 and resumed == uninterrupted (optimizer, schedule, dropout, crops)."""
    cfg = small(val_size=32, **kw)
    ref = Trainer(cfg, data=fake)
    ref.fit()
    ck = tmp_path / "ck.pt"
    first = Trainer(cfg, data=fake)
    first.fit(checkpoint=ck, stop_after=1)
    assert first.epoch == 1
    torch.manual_seed(12345)  # disturb the global RNG: the checkpoint must restore it
    resumed = Trainer.from_checkpoint(ck, data=fake)
    assert resumed.epoch == 1
    resumed.fit()
    wr, wx = weights(ref), weights(resumed)
    assert all(torch.equal(wr[k], wx[k]) for k in wr)
    assert [h["train_loss"] for h in ref.history] == [h["train_loss"] for h in resumed.history]
    assert [h["lr"] for h in resumed.history] == [h["lr"] for h in ref.history]
    # the resumed epochs name the trainer that ran them, apart from the first process's
    sessions = [h["session"] for h in resumed.history]
    assert sessions[0] == first.session != resumed.session == sessions[-1]


def test_schedule_and_history(fake):
    t = Trainer(small(schedule="step", step_size=1, gamma=0.5, val_size=32), data=fake)
    hist = t.fit()
    assert [h["lr"] for h in hist] == [0.001, 0.0005, 0.00025]
    assert [h["epoch"] for h in hist] == [1, 2, 3]
    assert all(h["val_loss"] is not None and h["time_s"] > 0 for h in hist)
    assert hist[-1]["test_acc"] is not None and hist[0]["test_acc"] is None


def test_early_stopping_stops_when_validation_loss_stops_falling(fake, monkeypatch):
    t = Trainer(small(model="mlp", model_args={"hidden_sizes": [4]}, epochs=10, patience=2,
                      val_size=32), data=fake)  # fmt: skip
    losses = iter([3.0, 2.0, 2.5, 1.5, 1.6, 1.5, 0.1, 0.1, 0.1, 0.1])
    real = t.evaluate

    def fake_eval(data=None, batch_size=1000):
        ev = real(data, batch_size)
        return (
            ev
            if data is t.test_data or data is None
            else type(ev)(**{**ev.__dict__, "loss": next(losses)})
        )

    monkeypatch.setattr(t, "evaluate", fake_eval)
    hist = t.fit()
    # best 1.5 at epoch 4, no lower loss at epochs 5 and 6 -> stop after epoch 6
    assert t.stopped_early and [h["val_loss"] for h in hist] == [3.0, 2.0, 2.5, 1.5, 1.6, 1.5]


def test_restore_best_keeps_the_weights_of_the_lowest_validation_loss(tmp_path, fake, monkeypatch):
    kw = dict(model="mlp", model_args={"hidden_sizes": [4]}, epochs=5, val_size=32,
              optimizer="adam", lr=1e-2)  # fmt: skip

    def scripted(t):  # validation losses 3, 1, 2, 2.5, 2.2: the best is epoch 2
        losses = iter([3.0, 1.0, 2.0, 2.5, 2.2])
        real = t.evaluate

        def fake_eval(data=None, batch_size=1000):
            ev = real(data, batch_size)
            if data is t.test_data or data is None:
                return ev
            return type(ev)(**{**ev.__dict__, "loss": next(losses)})

        monkeypatch.setattr(t, "evaluate", fake_eval)
        return t

    two = Trainer(small(**{**kw, "epochs": 2}), data=fake)
    two.fit()
    t = scripted(Trainer(small(**kw, restore_best=True), data=fake))
    t.fit(checkpoint=tmp_path / "ck.pt")
    assert t.restored_epoch == 2 and t.epoch == 5
    for k, v in weights(two).items():  # epochs 1-2 are the same run: same weights
        assert torch.equal(weights(t)[k], v), k
    plain = scripted(Trainer(small(**kw, restore_best=False), data=fake))
    plain.fit()
    assert plain.restored_epoch is None
    assert not torch.equal(weights(plain)["classifier.1.weight"], weights(t)["classifier.1.weight"])
    # the finished checkpoint carries the best weights: resuming it restores them again
    again = Trainer.from_checkpoint(tmp_path / "ck.pt", data=fake)
    again.fit()
    assert again.restored_epoch == 2
    for k, v in weights(two).items():
        assert torch.equal(weights(again)[k], v), k
    # evaluation from the checkpoint file uses the best weights too
    fresh = Trainer(small(**kw), data=fake)
    fresh.load_state_dict(load_checkpoint(tmp_path / "ck.pt"), weights_only=True)
    assert fresh.restored_epoch == 2
    for k, v in weights(two).items():
        assert torch.equal(weights(fresh)[k], v), k
    with pytest.raises(ValueError, match=r"restore_best: .*needs a validation set"):
        TrainConfig(restore_best=True)


def test_learning_on_fake_data_and_evaluation_consistency():
    data = D.load_data("fake", max_train=512, max_test=200, seed=0)
    t = Trainer(small(model="mlp", optimizer="adam", lr=1e-3, batch_size=32, epochs=3), data=data)
    t.fit()
    ev = t.evaluate()
    assert ev.accuracy > 0.5  # ten separable colour classes
    conf = torch.tensor(ev.confusion)
    assert int(conf.sum()) == 200 == ev.n
    assert ev.accuracy == pytest.approx(float(conf.diag().sum()) / 200)
    rows = conf.sum(1).clamp(min=1)
    assert ev.per_class == pytest.approx((conf.diag() / rows).tolist())
    assert "confusion matrix" in ev.format()


def test_epoch_loss_and_accuracy_weight_a_short_last_batch():
    """With a learning rate too small to move the weights, the epoch's training loss
    and accuracy are those of the starting model on the training set: 30 images in
    batches of 7 (the last holds 2) must be weighted by batch size."""
    data = D.load_data("fake", max_train=30, max_test=10, seed=4)
    t = Trainer(small(model="mlp", lr=1e-30, momentum=0.0, batch_size=7, epochs=1), data=data)
    before = t.evaluate(t.train_data, batch_size=1000)
    loss, acc = t.train_epoch()
    assert loss == pytest.approx(before.loss, rel=1e-6)
    assert acc == pytest.approx(before.accuracy)


def test_cpu_optimizers_use_the_fused_or_multi_tensor_update():
    for opt, key in (("sgd", "fused"), ("adam", "fused"), ("rmsprop", "foreach"),
                     ("adadelta", "foreach")):  # fmt: skip
        t = Trainer(
            small(optimizer=opt, epochs=1), data=D.load_data("fake", max_train=8, max_test=8)
        )
        assert t.optimizer.param_groups[0][key] is True, opt


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_fused_update_matches_the_for_loop_update(opt):
    """The fused kernel is the same update: a few steps of each from the same weights
    agree to float32 rounding, and both move the weights."""
    torch.manual_seed(0)
    ref = torch.nn.Linear(6, 3)
    nets = [copy.deepcopy(ref) for _ in range(2)]
    x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
    cls = torch.optim.SGD if opt == "sgd" else torch.optim.Adam
    extra = {"momentum": 0.9} if opt == "sgd" else {}
    opts = [cls(nets[0].parameters(), lr=0.05, foreach=False, **extra),
            cls(nets[1].parameters(), lr=0.05, **cpu_update_kwargs(opt), **extra)]  # fmt: skip
    for _ in range(5):
        for net, o in zip(nets, opts, strict=True):
            o.zero_grad()
            torch.nn.functional.cross_entropy(net(x), y).backward()
            o.step()
    assert not torch.allclose(nets[0].weight, ref.weight, atol=1e-3)
    torch.testing.assert_close(nets[1].weight, nets[0].weight, rtol=1e-5, atol=1e-6)


def test_unavailable_device_is_a_clear_error():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")
    assert resolve_device("auto").type in ("cuda", "mps", "cpu")


def test_wrong_image_shape_is_a_clear_error(fake):
    with pytest.raises(ValueError, match=r"grayscale_net expects images of shape \(1, 32, 32\)"):
        Trainer(small(model="grayscale_net"), data=fake)


def _run(args, **env):
    e = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", **env)
    return subprocess.run(args, cwd=ROOT, env=e, capture_output=True, text=True, timeout=240)


@pytest.mark.slow
def test_ddp_two_cpu_processes_match_one_process(tmp_path):
    """torchrun with gloo, 2 processes, global batch 16 == one process with batch 16."""
    common = [
        "train", "--data", "fake", "--model", "mlp", "--model-arg", "hidden_sizes=[32]",
        "--max-train", "128", "--max-test", "32", "--batch-size", "16", "--epochs", "2",
        "--optimizer", "sgd", "--lr", "0.05", "--device", "cpu",
    ]  # fmt: skip
    one = _run([sys.executable, "-m", "backprop_book.cli", *common, "--out", str(tmp_path / "one")])
    assert one.returncode == 0, one.stderr
    two = _run(
        [
            sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
            "-m", "backprop_book.cli", *common, "--out", str(tmp_path / "two"),
        ]
    )  # fmt: skip
    assert two.returncode == 0, two.stderr[-3000:]
    a = load_checkpoint(tmp_path / "one" / "checkpoint.pt")["model"]
    b = load_checkpoint(tmp_path / "two" / "checkpoint.pt")["model"]
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6)
    assert not torch.equal(a["classifier.1.weight"], torch.zeros_like(a["classifier.1.weight"]))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_training_with_amp(fake):
    t = Trainer(small(device="cuda", epochs=2, optimizer="adam"), data=fake)
    assert t.use_amp and t.device.type == "cuda"
    hist = t.fit()
    assert hist[-1]["train_loss"] < hist[0]["train_loss"] + 0.5
    assert 0.0 <= t.evaluate().accuracy <= 1.0


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_augmentation_matches_cpu():
    x = D.fake_cifar10(32, seed=0).images
    a = D.random_crop_flip(x, torch.Generator().manual_seed(3))
    b = D.random_crop_flip(x.cuda(), torch.Generator().manual_seed(3)).cpu()
    assert torch.equal(a, b)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_float32_training_matches_cpu_and_resumes(tmp_path, fake):
    """Without mixed precision a small MLP trains to the same weights on CUDA as on the
    CPU (to float32 rounding), and a CUDA run stopped and resumed matches an
    uninterrupted one."""
    kw = dict(model="mlp", model_args={"hidden_sizes": [32]}, optimizer="adam", lr=1e-3, epochs=2)
    cpu = Trainer(small(**kw), data=fake)
    cpu.fit()
    gpu = Trainer(small(device="cuda", amp=False, **kw), data=fake)
    gpu.fit()
    for k, v in weights(cpu).items():
        torch.testing.assert_close(weights(gpu)[k].cpu(), v, rtol=1e-4, atol=1e-5)
    ck = tmp_path / "ck.pt"
    part = Trainer(small(device="cuda", amp=False, **kw), data=fake)
    part.fit(checkpoint=ck, stop_after=1)
    resumed = Trainer.from_checkpoint(ck, data=fake)
    assert resumed.device.type == "cuda"
    resumed.fit()
    for k, v in weights(gpu).items():
        torch.testing.assert_close(weights(resumed)[k], v, rtol=1e-5, atol=1e-6)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_normalizer_and_batches_match_cpu():
    x = D.fake_cifar10(16, seed=1).images
    cpu = D.Normalizer(D.CIFAR10_MEAN, D.CIFAR10_STD, 3)(x)
    gpu = D.Normalizer(D.CIFAR10_MEAN, D.CIFAR10_STD, 3, device="cuda")(x.cuda())
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=1e-6)
    a = [b.tolist() for b in D.batch_indices(50, 8, torch.Generator().manual_seed(0))]
    b = [
        b.cpu().tolist()
        for b in D.batch_indices(50, 8, torch.Generator().manual_seed(0), device="cuda")
    ]
    assert a == b


@pytest.mark.parametrize("name", list(D.NORMALIZATIONS))
@pytest.mark.parametrize("grayscale", [False, True])
def test_each_normalization_is_the_named_constants(fake, name, grayscale):
    if name == "cifar" and grayscale:
        with pytest.raises(ValueError, match="constants for 3 channels, not 1"):
            D.normalization_constants(name, 1)
        return
    kw = dict(model="grayscale_net", model_args={"in_shape": [1 if grayscale else 3, 32, 32]})
    data = tuple(
        None if d is None else D.ImageTensors(D.to_grayscale(d.images), d.labels, d.classes, "")
        for d in fake
    ) if grayscale else fake  # fmt: skip
    t = Trainer(small(normalization=name, grayscale=grayscale, **kw), data=data)
    u = t.train_data.images[:4]
    mean, std = D.normalization_constants(name, u.shape[1])
    if name == "none":
        assert mean is None and std is None
    else:
        assert set(mean) == set(D.NORMALIZATIONS[name][0])
    torch.testing.assert_close(t.prepare(u, train=False), D.normalize(u, mean, std), rtol=0,
                               atol=2e-6)  # fmt: skip


def test_d_preprocessing_path_matches_d_torchvision_pipeline(tmp_path):
    """D's per-image steps kept as pixels, then the trainer's batch normalisation, equal
    D's own Grayscale/Blur/ToTensor/Normalize to within one float32 rounding."""
    from PIL import Image

    from backprop_book.torch_nn.experiments import _folder_data

    g = torch.Generator().manual_seed(0)
    for cls in ("cat", "dog"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            px = torch.randint(0, 256, (32, 32, 3), generator=g, dtype=torch.uint8).numpy()
            Image.fromarray(px).save(tmp_path / cls / f"{i}.png")
    for blur in (False, True):
        for norm in (False, True):
            theirs, labels = D.image_folder_tensors(tmp_path, D.d_transforms(True, norm, blur))
            ours = _folder_data(tmp_path, D.d_transforms(True, blur=blur, as_uint8=True))
            assert ours.images.dtype == torch.uint8 and ours.classes == ("cat", "dog")
            assert torch.equal(ours.labels, labels)
            mean, std = D.normalization_constants("tutorial" if norm else "none", 1)
            got = D.Normalizer(mean, std, channels=1)(ours.images)
            torch.testing.assert_close(got, theirs, rtol=0, atol=1.2e-7)
