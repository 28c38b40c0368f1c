"""The Wyner VAE and its two train steps in PyTorch, and the wrapper's conv
autoencoder and its step, for benchmarks only.

The same layer sizes, relaxation and objective as wyner_jax (model.py,
latents.py, losses.py): ReLU MLPs with `depth` hidden layers of `hidden`
units, encoder logits bounded by b * tanh(l / b), Gumbel-softmax samples, the
analytic KL to the uniform prior, squared errors summed over pixels over
2 eps^2, Adam. Each step draws its batch by index from the whole data set
held in memory, as the JAX step gathers it inside the compiled program.

PyTorch is an optional benchmark dependency (`pip install torch`), not a
dependency of the library.
"""

import math

import torch
from torch import nn


def mlp(n_in: int, n_out: int, hidden: int, depth: int) -> nn.Sequential:
  layers, width = [], n_in
  for _ in range(depth):
    layers += [nn.Linear(width, hidden), nn.ReLU()]
    width = hidden
  return nn.Sequential(*layers, nn.Linear(width, n_out))


class Encoder(nn.Module):
  """Concatenated inputs -> bounded logits [B, N, K]."""

  def __init__(self, n_in, size, hidden, depth, bound):
    super().__init__()
    self.size, self.bound = size, bound
    self.net = mlp(n_in, size[0] * size[1], hidden, depth)

  def forward(self, *inputs):
    logits = self.net(torch.cat(inputs, -1)).view(-1, *self.size)
    return self.bound * torch.tanh(logits / self.bound)


class Decoder(nn.Module):
  """Flattened latent samples -> pixels in (0, 1)."""

  def __init__(self, n_in, data_dim, hidden, depth):
    super().__init__()
    self.net = mlp(n_in, data_dim, hidden, depth)

  def forward(self, local, z):
    return torch.sigmoid(self.net(torch.cat([local.flatten(1), z.flatten(1)], -1)))


def gumbel_softmax(logits, tau):
  uniform = torch.rand_like(logits).clamp_(1e-20, 1.0)
  return torch.softmax((logits - torch.log(-torch.log(uniform))) / tau, -1)


def kl_to_uniform(logits):
  """[B, N, K] -> [B]."""
  log_q = torch.log_softmax(logits, -1)
  return (log_q.exp() * (log_q + math.log(logits.shape[-1]))).sum((-2, -1))


def squared_error(target, reconstruction):
  return ((target - reconstruction) ** 2).sum(-1)


class WynerVAE(nn.Module):
  """Joint encoders, decoders and marginal encoders of the default model."""

  def __init__(self, z=(1, 100), u=(2, 10), v=(2, 10), hidden=512, depth=2,
               data_dim=784, logit_bound=5.0):
    super().__init__()
    enc = lambda n_in, size: Encoder(n_in, size, hidden, depth, logit_bound)
    flat = lambda size: size[0] * size[1]
    self.joint = nn.ModuleDict({'z': enc(2 * data_dim, z), 'u': enc(2 * data_dim, u),
                                'v': enc(2 * data_dim, v)})
    self.decoders = nn.ModuleDict({
        'x': Decoder(flat(u) + flat(z), data_dim, hidden, depth),
        'y': Decoder(flat(v) + flat(z), data_dim, hidden, depth)})
    self.marginal = nn.ModuleDict({'z_x': enc(data_dim, z), 'u_x': enc(data_dim, u),
                                   'z_y': enc(data_dim, z), 'v_y': enc(data_dim, v)})

  def joint_loss(self, x, y, tau, lam, two_eps_sq):
    lz, lu, lv = (self.joint[n](x, y) for n in 'zuv')
    z, u, v = (gumbel_softmax(l, tau) for l in (lz, lu, lv))
    rec_x = squared_error(x, self.decoders['x'](u, z)).mean()
    rec_y = squared_error(y, self.decoders['y'](v, z)).mean()
    return ((1.0 + lam) * kl_to_uniform(lz).mean() + kl_to_uniform(lu).mean()
            + kl_to_uniform(lv).mean() + (rec_x + rec_y) / two_eps_sq)

  def marginal_loss(self, x, y, tau, lam, two_eps_sq):
    del lam  # step 2 has no lambda term
    logits = [self.marginal[n](d) for n, d in
              (('z_x', x), ('u_x', x), ('z_y', y), ('v_y', y))]
    z_x, u, z_y, v = (gumbel_softmax(l, tau) for l in logits)
    rec_x = squared_error(x, self.decoders['x'](u, z_x)).mean()
    rec_y = squared_error(y, self.decoders['y'](v, z_y)).mean()
    return (sum(kl_to_uniform(l).mean() for l in logits)
            + (rec_x + rec_y) / two_eps_sq)


class TrainStep:
  """One Adam step of the joint ('joint') or marginal ('marginal') phase.

  Step 2 trains only the marginal encoders: the decoders are frozen
  (requires_grad False) but gradients flow through them, as in JAX.
  `compiled=True` compiles the loss (forward and, through AOTAutograd,
  backward) and the optimizer step with `torch.compile`.
  """

  def __init__(self, model: WynerVAE, phase: str, x_all, y_all, batch_size,
               learning_rate=1e-3, two_eps_sq=1e-4, compiled=False):
    trained = (list(model.joint.parameters()) + list(model.decoders.parameters())
               if phase == 'joint' else list(model.marginal.parameters()))
    for p in model.decoders.parameters():
      p.requires_grad_(phase == 'joint')
    self.optimizer = torch.optim.Adam(trained, lr=learning_rate)
    loss = model.joint_loss if phase == 'joint' else model.marginal_loss
    self.loss = torch.compile(loss) if compiled else loss
    self.update = (torch.compile(self.optimizer.step) if compiled
                   else self.optimizer.step)
    self.x_all, self.y_all = x_all, y_all
    self.batch_size, self.two_eps_sq = batch_size, two_eps_sq
    # 0-d tensors, so that changing them never recompiles.
    self.tau, self.lam = torch.tensor(1.0), torch.tensor(0.0)

  def __call__(self) -> torch.Tensor:
    index = torch.randint(0, self.x_all.shape[0], (self.batch_size,))
    self.optimizer.zero_grad(set_to_none=True)
    loss = self.loss(self.x_all[index], self.y_all[index], self.tau, self.lam,
                     self.two_eps_sq)
    loss.backward()
    self.update()
    return loss.detach()


class ConvAutoencoder(nn.Module):
  """wyner_jax.autoencoder.ConvAutoencoder: two stride-2 3x3 convolutions and
  a dense layer to a sigmoid code; a dense layer, nearest-neighbour
  upsampling and 3x3 convolutions back to sigmoid pixels."""

  def __init__(self, code_size: int):
    super().__init__()
    self.encoder = nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.ReLU(),  # 14 x 14
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),  # 7 x 7
        nn.Flatten(), nn.Linear(32 * 7 * 7, code_size), nn.Sigmoid())
    self.decoder = nn.Sequential(
        nn.Linear(code_size, 32 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (32, 7, 7)),
        nn.Upsample(scale_factor=2, mode='nearest'),
        nn.Conv2d(32, 16, 3, padding=1), nn.ReLU(),
        nn.Upsample(scale_factor=2, mode='nearest'),
        nn.Conv2d(16, 1, 3, padding=1), nn.Sigmoid(), nn.Flatten())

  def loss(self, x, y):
    """The mean of both sides' squared errors summed over pixels, halved."""
    rec_x = squared_error(x, self.decoder(self.encoder(x))).mean()
    rec_y = squared_error(y, self.decoder(self.encoder(y))).mean()
    return 0.5 * (rec_x + rec_y)


class AutoencoderStep:
  """One Adam step of the autoencoder on a batch drawn by index, as
  `TrainStep` draws it."""

  def __init__(self, model: ConvAutoencoder, x_all, y_all, batch_size,
               learning_rate=1e-3, compiled=False):
    self.optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    self.loss = torch.compile(model.loss) if compiled else model.loss
    self.update = (torch.compile(self.optimizer.step) if compiled
                   else self.optimizer.step)
    self.x_all, self.y_all, self.batch_size = x_all, y_all, batch_size

  def __call__(self) -> torch.Tensor:
    index = torch.randint(0, self.x_all.shape[0], (self.batch_size,))
    self.optimizer.zero_grad(set_to_none=True)
    loss = self.loss(self.x_all[index], self.y_all[index])
    loss.backward()
    self.update()
    return loss.detach()
