"""MVAE (Wu and Goodman 2018): a product of Gaussian experts.

    experts q(z|x), q(z|y) and the prior expert N(0, I);
    q(z|x,y) = N(0, I) q(z|x) q(z|y) (normalised), q(z|x) = N(0, I) q(z|x), ...
    decoders x(z), y(z)

trained on the subsampled ELBO: the joint term plus each unimodal one (the
paper's objective for two modalities). Gaussian latents only: the product
of experts is closed-form for Gaussians.

Parameters: {'encoders': {'z_x', 'z_y'}, 'decoders': {'x', 'y'}}, one phase.
"""

import dataclasses
import functools

import jax
import jax.numpy as jnp

from wyner_jax import contracts
from wyner_jax import kinds
from wyner_jax import latents
from wyner_jax import losses
from wyner_jax.baselines import base
from wyner_jax.baselines.base import Params
from wyner_jax.errors import ArgumentError


def product_of_experts(*experts: jax.Array) -> jax.Array:
  """The product of diagonal Gaussian experts and the prior N(0, I),
  normalised: precisions add, means are precision-weighted.

      1 / var = 1 + sum_e 1 / var_e,   mean = var * sum_e mean_e / var_e

  Args:
    experts: each [B, D, 2] (mean, log-variance), as `wyner_jax.Gaussian`.

  Returns:
    [B, D, 2] of the product.
  """
  if not experts:
    raise contracts.ShapeError('product_of_experts needs at least one expert')
  if any(isinstance(e, (list, tuple)) for e in experts):
    raise contracts.ShapeError(
        'product_of_experts takes the experts as arguments, each [B, D, 2]: '
        'product_of_experts(a, b) (or *experts), not a list of them')
  for i, expert in enumerate(experts):
    contracts.check_rank(f'experts[{i}]', expert, 3, '[B, D, 2]')
    contracts.check_trailing(f'experts[{i}]', expert, expert.shape[1:2] + (2,),
                             '[B, D, 2]')
    contracts.check_same_shape('experts[0]', experts[0], f'experts[{i}]',
                               expert)
  precisions = jnp.stack([jnp.exp(-e[..., 1]) for e in experts])
  precision = 1.0 + jnp.sum(precisions, axis=0)  # the prior's precision: 1
  mean = jnp.sum(precisions * jnp.stack([e[..., 0] for e in experts]),
                 axis=0) / precision
  return jnp.stack([mean, -jnp.log(precision)], axis=-1)


def mvae_loss(params_x: jax.Array, params_y: jax.Array, x: jax.Array,
              y: jax.Array, recs_joint: tuple[jax.Array, jax.Array],
              rec_x_alone: jax.Array, rec_y_alone: jax.Array,
              two_eps_sq: float, *, z: latents.Gaussian,
              two_eps_sq_y: float | None = None
              ) -> tuple[jax.Array, losses.Metrics]:
  """The negative subsampled ELBO of two modalities, averaged over the batch:

      L = KL(q(z|x,y) || p(z)) + ||x - x(z_xy)||^2 / (2 eps_x^2)
                               + ||y - y(z_xy)||^2 / (2 eps_y^2)
        + KL(q(z|x) || p(z)) + ||x - x(z_x)||^2 / (2 eps_x^2)
        + KL(q(z|y) || p(z)) + ||y - y(z_y)||^2 / (2 eps_y^2)

  where q(z|x,y), q(z|x), q(z|y) are `product_of_experts` of the prior
  with both experts, the x expert, the y expert, and z_xy, z_x, z_y their
  samples.

  Args:
    params_x, params_y: [B, D, 2] of the experts q(z|x), q(z|y).
    x, y: [B, ...] data.
    recs_joint: (x(z_xy), y(z_xy)); rec_x_alone: x(z_x); rec_y_alone: y(z_y).
    two_eps_sq: 2 eps^2 > 0; two_eps_sq_y: Y's (None: `two_eps_sq`).
    z: keyword-only `wyner_jax.Gaussian` family of the latent.

  Returns:
    (loss, metrics) with `loss`, `kl/z` (the joint term's), `kl/z_x`,
    `kl/z_y` (the unimodal terms'), `rec/x`, `rec/y` (the joint term's).
  """
  if not isinstance(z, latents.Gaussian):
    raise ArgumentError(
        f'z={z!r} is not allowed: a product of experts needs '
        'wyner_jax.Gaussian latents')
  contracts.batch_size(params_x=params_x, params_y=params_y, x=x, y=y,
                       x_rec=recs_joint[0], y_rec=recs_joint[1],
                       rec_x_alone=rec_x_alone, rec_y_alone=rec_y_alone)
  contracts.check_positive_number('two_eps_sq', two_eps_sq)
  latents.check_params('params_x', params_x, z)
  latents.check_params('params_y', params_y, z)
  kl_xy = jnp.mean(z.kl(product_of_experts(params_x, params_y)))
  kl_x = jnp.mean(z.kl(product_of_experts(params_x)))
  kl_y = jnp.mean(z.kl(product_of_experts(params_y)))
  rec_x, rec_y, rec_joint = losses.weighted_errors(
      x, recs_joint[0], y, recs_joint[1], two_eps_sq, two_eps_sq_y)
  _, _, rec_alone = losses.weighted_errors(x, rec_x_alone, y, rec_y_alone,
                                           two_eps_sq, two_eps_sq_y)
  loss = kl_xy + rec_joint + kl_x + kl_y + rec_alone
  return loss, {'loss': loss, 'kl/z': kl_xy, 'kl/z_x': kl_x, 'kl/z_y': kl_y,
                'rec/x': rec_x, 'rec/y': rec_y}


@dataclasses.dataclass(frozen=True)
class MVAE(base.SharedLatent):
  """MVAE (module docstring).

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

  def expert(self, params: Params, side: str, data: jax.Array) -> jax.Array:
    return self.encode(params['encoders'][f'z_{side}'], self.latent_z, data)

  def posterior(self, params: Params, side: str, data: jax.Array) -> jax.Array:
    """q(z|side): the prior times the side's expert."""
    return product_of_experts(self.expert(params, side, data))

  def loss_fn(self, two_eps_sq: float, two_eps_sq_y: float | None = None):
    """loss_fn(params, batch) of `mvae_loss` (no relaxed samples: it
    reads x, y and rng)."""
    def loss_fn(params, batch: kinds.Batch):
      x, y, z, dec = batch.x, batch.y, self.latent_z, params['decoders']
      e_x, e_y = self.expert(params, 'x', x), self.expert(params, 'y', y)
      keys = jax.random.split(batch.rng, 3)
      z_xy = z.sample(keys[0], product_of_experts(e_x, e_y))
      z_x = z.sample(keys[1], product_of_experts(e_x))
      z_y = z.sample(keys[2], product_of_experts(e_y))
      return mvae_loss(
          e_x, e_y, x, y, (self.decode(dec['x'], 'x', z_xy),
                           self.decode(dec['y'], 'y', z_xy)),
          self.decode(dec['x'], 'x', z_x), self.decode(dec['y'], 'y', z_y),
          two_eps_sq, z=z, two_eps_sq_y=two_eps_sq_y)
    return loss_fn

  @functools.partial(jax.jit, static_argnames='self')
  def rates(self, params: Params, x: jax.Array, y: jax.Array
            ) -> dict[str, jax.Array]:
    self.check_data(x=x, y=y)
    posterior = product_of_experts(self.expert(params, 'x', x),
                                   self.expert(params, 'y', y))
    return {'z': jnp.mean(self.latent_z.kl(posterior))}


def _build(config, networks) -> MVAE:
  return MVAE(z=tuple(config.model.expert_z), **networks)


def _phases(config, model: MVAE) -> tuple[kinds.Phase, ...]:
  loss = model.loss_fn(*kinds.likelihood_scales(config))
  return kinds.one_phase(model, loss, base.GROUPS)


# Its entry in the registry of model kinds (Gaussian experts of `model.expert_z`).
KIND = kinds.Kind(_build, _phases, kinds.SHARED_SPACE + (
    ('expert_z', tuple({'model.expert_z': v} for v in ((10,), (20,), (32,)))),
))
