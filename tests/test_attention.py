"""SAGAN's self-attention block, and BigGAN's sigma_0 clamp."""

import pytest
import torch
from torch import nn

from ganlab.attention import SelfAttention
from ganlab.spectral import clamp_top_singular_value_


def test_gamma_starts_at_zero_so_the_block_starts_as_the_identity():
    torch.manual_seed(0)
    block = SelfAttention(16)
    x = torch.randn(2, 16, 6, 6)
    assert block.gamma.item() == 0 and torch.equal(block(x), x)


def test_attention_matches_a_direct_computation_for_one_query_pixel():
    torch.manual_seed(0)
    block = SelfAttention(16, sn=False)
    with torch.no_grad():
        block.gamma.fill_(0.7)
    x = torch.randn(2, 16, 6, 8)
    out, beta = block(x, return_attention=True)
    assert beta.shape == (2, 48, 12)                      # HW queries, HW/4 pooled keys
    assert torch.allclose(beta.sum(-1), torch.ones(2, 48))
    q = 13                                                 # row 1, column 5
    theta = block.theta(x).flatten(2)[:, :, q]            # (N, C/8)
    keys = nn.functional.max_pool2d(block.phi(x), 2).flatten(2)      # (N, C/8, 12)
    weights = torch.softmax((theta[:, :, None] * keys).sum(1), dim=-1)
    assert torch.allclose(weights, beta[:, q], atol=1e-6)
    values = nn.functional.max_pool2d(block.g(x), 2).flatten(2)      # (N, C/2, 12)
    o = (values * weights[:, None]).sum(-1)               # (N, C/2)
    expected = x[:, :, 1, 5] + 0.7 * (block.o.weight[:, :, 0, 0] @ o.T).T
    assert torch.allclose(out[:, :, 1, 5], expected, atol=1e-5)


def test_channel_counts_and_spectral_norm_follow_the_released_code():
    block = SelfAttention(32)
    assert block.theta.weight.shape[0] == 4 and block.phi.weight.shape[0] == 4
    assert block.g.weight.shape[0] == 16 and block.o.weight.shape == (32, 16, 1, 1)
    assert all(hasattr(m, "parametrizations") for m in (block.theta, block.phi, block.g, block.o))


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="multiple of 8"):
        SelfAttention(12)
    with pytest.raises(ValueError, match="must be even, got 7x7"):
        SelfAttention(16)(torch.randn(1, 16, 7, 7))
    SelfAttention(16, pool=False)(torch.randn(1, 16, 7, 7))   # no pooling: odd sizes are fine
    with pytest.raises(ValueError, match=r"feature map \(N, 16, H, W\), got \(1, 8, 6, 6\)"):
        SelfAttention(16)(torch.randn(1, 8, 6, 6))


@pytest.mark.parametrize("layer", [lambda: nn.Linear(12, 7), lambda: nn.Conv2d(3, 6, 3),
                                   lambda: nn.ConvTranspose2d(6, 4, 4, stride=2)])
def test_sigma0_clamp_changes_only_the_top_singular_value(layer):
    torch.manual_seed(0)
    model = nn.Sequential(layer())
    with torch.no_grad():
        model[0].weight.mul_(5)
    dim = 1 if isinstance(model[0], nn.ConvTranspose2d) else 0

    def matrix():
        return model[0].weight.detach().movedim(dim, 0).flatten(1)

    before = torch.linalg.svdvals(matrix())
    clamp = float(before[1] + before[0]) / 2                # between sigma_1 and sigma_0
    changed = clamp_top_singular_value_(model, clamp)
    after = torch.linalg.svdvals(matrix())
    assert changed == {"0": pytest.approx(before[0].item())}
    assert after[0].item() == pytest.approx(clamp, rel=1e-5)
    assert torch.allclose(after[1:], before[1:], rtol=1e-4)
    assert clamp_top_singular_value_(model, 2 * clamp) == {}   # below the clamp: unchanged
