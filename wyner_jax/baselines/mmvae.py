"""MMVAE (Shi, Siddharth, Paige and Torr 2019): a mixture of experts.

    experts q(z|x), q(z|y);  q(z|x,y) = (q(z|x) + q(z|y)) / 2
    decoders x(z), y(z), prior N(0, I)

Estimator: the mixture's ELBO with stratified sampling, one sample from
each expert (the paper's eq. 3 with K = 1), not the DReG importance-weighted
bound its experiments use: the other models here are trained on ELBOs too,
and K = 1 keeps the step's cost the others'. Gaussian experts (the paper
uses Laplace ones for MNIST-SVHN; Gaussian for CUB).

Parameters: {'encoders': {'z_x', 'z_y'}, 'decoders': {'x', 'y'}}, one phase.
"""

import dataclasses
import math

import jax
import jax.numpy as jnp

from wyner_jax import contracts
from wyner_jax import kinds
from wyner_jax import latents
from wyner_jax import losses
from wyner_jax.baselines import base
from wyner_jax.baselines.base import Params
from wyner_jax.errors import ArgumentError


def gaussian_log_density(sample: jax.Array, params: jax.Array) -> jax.Array:
  """[B] log N(sample; mean, diag(exp(log_var))) of samples [B, D] under
  parameters [B, D, 2] (or [D, 2] shared)."""
  mean, log_var = params[..., 0], params[..., 1]
  terms = -0.5 * (math.log(2 * math.pi) + log_var
                  + (sample - mean) ** 2 * jnp.exp(-log_var))
  return jnp.sum(terms, axis=-1)


def mixture_log_density(sample: jax.Array, *experts: jax.Array) -> jax.Array:
  """[B] log of the equal-weight mixture of the experts' densities."""
  logs = jnp.stack([gaussian_log_density(sample, e) for e in experts])
  return jax.nn.logsumexp(logs, axis=0) - math.log(len(experts))


def mmvae_loss(params_x: jax.Array, params_y: jax.Array, z_from_x: jax.Array,
               z_from_y: jax.Array, x: jax.Array, y: jax.Array,
               recs_from_x: tuple[jax.Array, jax.Array],
               recs_from_y: tuple[jax.Array, jax.Array], two_eps_sq: float, *,
               z: latents.Gaussian, two_eps_sq_y: float | None = None
               ) -> tuple[jax.Array, losses.Metrics]:
  """The negative stratified mixture ELBO, averaged over the batch:

      L = 1/2 sum_{m in x, y} [ ||x - x(z_m)||^2 / (2 eps_x^2)
                                + ||y - y(z_m)||^2 / (2 eps_y^2)
                                + log q(z_m|x,y) - log p(z_m) ]
      z_m ~ q(z|m),  q(z|x,y) = (q(z|x) + q(z|y)) / 2,  p = N(0, I)

  (the Gaussian likelihoods' constants dropped, as in the other objectives).

  Args:
    params_x, params_y: [B, D, 2] of the experts q(z|x), q(z|y).
    z_from_x, z_from_y: [B, D] reparameterised samples of each expert.
    x, y: [B, ...] data; recs_from_x: (x(z_x), y(z_x)); recs_from_y:
      (x(z_y), y(z_y)).
    two_eps_sq: 2 eps^2 > 0; two_eps_sq_y: Y's (None: `two_eps_sq`).
    z: keyword-only `wyner_jax.Gaussian` family.

  Returns:
    (loss, metrics) with `loss`, `kl/z` (the single-sample estimate of
    E log q(z|x,y) - log p(z) over both strata), `rec/x`, `rec/y`
    (squared errors averaged over both strata), `rec/cross_x` (x from
    z ~ q(z|y)) and `rec/cross_y`.
  """
  if not isinstance(z, latents.Gaussian):
    raise ArgumentError(
        f'z={z!r} is not allowed: this mixture of experts needs '
        'wyner_jax.Gaussian latents')
  contracts.batch_size(params_x=params_x, params_y=params_y, z_from_x=z_from_x,
                       z_from_y=z_from_y, x=x, y=y)
  contracts.check_positive_number('two_eps_sq', two_eps_sq)
  latents.check_params('params_x', params_x, z)
  latents.check_params('params_y', params_y, z)
  zero = jnp.zeros(z.param_shape, jnp.float32)  # N(0, I)
  kls, recs = [], []
  for sample, (x_rec, y_rec) in ((z_from_x, recs_from_x),
                                 (z_from_y, recs_from_y)):
    contracts.check_same_shape('z samples', sample, 'one sample per row',
                               params_x[..., 0])
    kls.append(jnp.mean(mixture_log_density(sample, params_x, params_y)
                        - gaussian_log_density(sample, zero)))
    recs.append(losses.weighted_errors(x, x_rec, y, y_rec, two_eps_sq,
                                       two_eps_sq_y))
  kl = (kls[0] + kls[1]) / 2
  loss = kl + (recs[0][2] + recs[1][2]) / 2
  return loss, {'loss': loss, 'kl/z': kl,
                'rec/x': (recs[0][0] + recs[1][0]) / 2,
                'rec/y': (recs[0][1] + recs[1][1]) / 2,
                'rec/cross_x': recs[1][0], 'rec/cross_y': recs[0][1]}


@dataclasses.dataclass(frozen=True)
class MMVAE(base.SharedLatent):
  """MMVAE (module docstring): q(z|side) is the side's expert.

  Attributes:
    z: (D,), the Gaussian latent's dimensions.
    (and `base.BaselineNetworks`' network settings)
  """
  z: tuple[int, ...] = (20,)

  @property
  def latent_z(self) -> latents.Gaussian:
    return latents.latent_family('gaussian', self.z)

  def init(self, rng: jax.Array) -> Params:
    return self.init_shared(jax.random.split(rng, 4))

  def loss_fn(self, two_eps_sq: float, two_eps_sq_y: float | None = None):
    """loss_fn(params, batch) of `mmvae_loss` (no relaxed samples: it
    reads x, y and rng)."""
    def loss_fn(params, batch: kinds.Batch):
      x, y, z, dec = batch.x, batch.y, self.latent_z, params['decoders']
      e_x, e_y = self.posterior(params, 'x', x), self.posterior(params, 'y', y)
      key_x, key_y = jax.random.split(batch.rng)
      z_x, z_y = z.sample(key_x, e_x), z.sample(key_y, e_y)
      decoded = {name: (self.decode(dec['x'], 'x', s),
                        self.decode(dec['y'], 'y', s))
                 for name, s in (('x', z_x), ('y', z_y))}
      return mmvae_loss(e_x, e_y, z_x, z_y, x, y, decoded['x'], decoded['y'],
                        two_eps_sq, z=z, two_eps_sq_y=two_eps_sq_y)
    return loss_fn

  def rates(self, params: Params, x: jax.Array, y: jax.Array
            ) -> dict[str, jax.Array]:
    self.check_data(x=x, y=y)
    del params  # the mixture's KL has no closed form
    return {}


def _build(config, networks) -> MMVAE:
  return MMVAE(z=tuple(config.model.expert_z), **networks)


def _phases(config, model: MMVAE) -> tuple[kinds.Phase, ...]:
  loss = model.loss_fn(*kinds.likelihood_scales(config))
  return kinds.one_phase(model, loss, base.GROUPS)


# Its entry in the registry of model kinds (Gaussian experts of `model.expert_z`).
KIND = kinds.Kind(_build, _phases, kinds.SHARED_SPACE + (
    ('expert_z', tuple({'model.expert_z': v} for v in ((10,), (20,), (32,)))),
))
