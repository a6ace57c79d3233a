import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ganlab import plots  # noqa: E402
from ganlab.models import MLP  # noqa: E402
from ganlab.train import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_density_1d_draws_both_densities_and_d():
    x = torch.linspace(-3, 3, 50)
    ax = plots.density_1d(x, torch.exp(-x**2), torch.exp(-(x - 1) ** 2), torch.sigmoid(x))
    assert ax.get_xlabel() == "x" and ax.get_title()
    assert len(ax.figure.axes) == 2  # density axis + D(x) axis
    assert ax.figure.axes[1].get_ylim() == pytest.approx((-0.02, 1.02))


def test_critic_field_heat_map_is_the_critic():
    critic = MLP(2, 1, width=8, depth=1)
    ax = plots.critic_field(critic, torch.randn(20, 2), torch.randn(20, 2), lim=1.5, n=10)
    image = ax.images[0].get_array()
    axis = torch.linspace(-1.5, 1.5, 10)
    gx, gy = torch.meshgrid(axis, axis, indexing="xy")
    expected = critic(torch.stack([gx.flatten(), gy.flatten()], 1)).detach().view(10, 10)
    torch.testing.assert_close(torch.as_tensor(image.data), expected)
    assert ax.get_xlabel() == "x1" and ax.get_title()


def test_loss_curves_of_a_history():
    h = History(steps=[1, 2], d_loss=[1.0, 0.5], g_loss=[2.0, 1.0], wall=[0.1, 0.2],
                extra={"penalty": [0.1, 0.0]})
    ax = plots.loss_curves(h)
    assert len(ax.lines) == 3 and ax.get_xlabel() == "generator step"


def test_image_grid_shape_and_errors():
    ax = plots.image_grid(torch.zeros(12, 1, 28, 28), nrow=4)
    assert ax.images[0].get_array().shape[:2] == (3 * 30 + 2, 4 * 30 + 2)
    with pytest.raises(ValueError,
                       match=r"images must have 4 dimension\(s\), got shape \(28, 28\)"):
        plots.image_grid(torch.zeros(28, 28))
    with pytest.raises(ValueError, match="nrow must be a positive int"):
        plots.image_grid(torch.zeros(1, 1, 28, 28), nrow=0)
