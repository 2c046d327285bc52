from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings

from backprop_book.torch_nn import data as D
from tests.torch_nn.strategies import image_shapes, paddings, seeds

pytestmark = pytest.mark.part4


def test_normalize_matches_torchvision_per_image():
    from torchvision import transforms as T

    g = torch.Generator().manual_seed(0)
    u = torch.randint(0, 256, (3, 3, 8, 8), generator=g, dtype=torch.uint8)
    ours = D.normalize(u, D.CIFAR10_MEAN, D.CIFAR10_STD)
    tv = T.Normalize(D.CIFAR10_MEAN, D.CIFAR10_STD)
    ref = torch.stack([tv(img.float() / 255) for img in u])
    torch.testing.assert_close(ours, ref)


@pytest.mark.parametrize(
    "mean,std", [(D.CIFAR10_MEAN, D.CIFAR10_STD), (D.TUTORIAL_MEAN, D.TUTORIAL_STD)]
)
def test_normalizer_matches_torchvision_and_normalize(mean, std):
    from torchvision import transforms as T

    g = torch.Generator().manual_seed(2)
    u = torch.randint(0, 256, (5, 3, 8, 8), generator=g, dtype=torch.uint8)
    before = u.clone()
    tv = T.Compose([T.ToPILImage(), T.ToTensor(), T.Normalize(mean, std)])
    ref = torch.stack([tv(img) for img in u])
    got = D.Normalizer(mean, std, channels=3)(u)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, ref, rtol=0, atol=2e-6)
    torch.testing.assert_close(got, D.normalize(u, mean, std), rtol=0, atol=2e-6)
    assert torch.equal(u, before)  # the input is left alone


def test_normalizer_without_statistics_scales_to_unit_range_and_checks_shapes():
    u = torch.tensor([0, 51, 255], dtype=torch.uint8).view(1, 1, 1, 3)
    assert D.Normalizer(None, None, channels=1)(u).flatten().tolist() == pytest.approx(
        [0.0, 0.2, 1.0]
    )
    with pytest.raises(ValueError, match=r"shape \(N, 3, H, W\), got \(1, 1, 1, 3\)"):
        D.Normalizer(D.TUTORIAL_MEAN, D.TUTORIAL_STD, channels=3)(u)
    with pytest.raises(ValueError, match="positive standard deviations"):
        D.Normalizer((0.5,), (0.0,), channels=1)


def test_batch_indices_moves_the_permutation_once_and_keeps_it():
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a = [b.tolist() for b in D.batch_indices(10, 4, g1)]
    b = [b.tolist() for b in D.batch_indices(10, 4, g2, device="cpu")]
    assert a == b and sorted(i for batch in a for i in batch) == list(range(10))


def test_grayscale_matches_torchvision_within_rounding():
    from torchvision.transforms import functional as TF

    g = torch.Generator().manual_seed(1)
    u = torch.randint(0, 256, (4, 3, 5, 5), generator=g, dtype=torch.uint8)
    ref = TF.rgb_to_grayscale(u)
    assert int((D.to_grayscale(u).int() - ref.int()).abs().max()) <= 1


@settings(max_examples=25, deadline=None)
@given(shape=image_shapes, padding=paddings, seed=seeds)
def test_crop_flip_picks_a_window_of_the_padded_image(shape, padding, seed):
    x = torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(seed)).to(torch.uint8)
    g = torch.Generator().manual_seed(seed)
    out = D.random_crop_flip(x, g, padding=padding, flip=True)
    assert out.shape == x.shape and out.dtype == x.dtype
    # replay the draws: every output image is a (possibly flipped) window of the padded one
    g2 = torch.Generator().manual_seed(seed)
    n, _, h, w = shape
    off = torch.randint(0, 2 * padding + 1, (2, n), generator=g2) if padding else None
    coin = torch.rand(n, generator=g2) < 0.5
    padded = torch.nn.functional.pad(x, (padding,) * 4)
    for i in range(n):
        dy, dx = (int(off[0, i]), int(off[1, i])) if off is not None else (0, 0)
        ref = padded[i, :, dy : dy + h, dx : dx + w]
        if coin[i]:
            ref = ref.flip(2)
        assert torch.equal(out[i], ref)


def test_crop_flip_is_seeded():
    x = D.fake_cifar10(16, seed=0).images
    a = D.random_crop_flip(x, torch.Generator().manual_seed(5))
    b = D.random_crop_flip(x, torch.Generator().manual_seed(5))
    c = D.random_crop_flip(x, torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_batch_indices_cover_every_example_once_and_shard_exactly():
    g = torch.Generator().manual_seed(0)
    full = list(D.batch_indices(10, 4, g))
    assert sorted(torch.cat(full).tolist()) == list(range(10))
    assert [len(b) for b in full] == [4, 4, 2]
    shards = [list(D.batch_indices(10, 4, torch.Generator().manual_seed(0), r, 2)) for r in (0, 1)]
    for k, batch in enumerate(full):
        assert sorted(torch.cat([shards[0][k], shards[1][k]]).tolist()) == sorted(batch.tolist())
    with pytest.raises(ValueError, match="batch_size must be positive, got 0"):
        next(D.batch_indices(3, 0, None))


def test_load_data_fake_splits_and_bad_source():
    tr, va, te = D.load_data("fake", max_train=40, max_test=10, val_size=8, seed=3)
    assert (len(tr), len(va), len(te)) == (40, 8, 10)
    assert tr.images.shape[1:] == (3, 32, 32)
    with pytest.raises(ValueError, match="data source must be 'cifar10' or 'fake', got 'mnist'"):
        D.load_data("mnist")


def test_missing_cifar10_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("BACKPROP_BOOK_CIFAR10", str(tmp_path / "nowhere.tar.gz"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        D.load_data("cifar10", root=str(tmp_path / "nowhere.tar.gz"))
