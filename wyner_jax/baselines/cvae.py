"""Conditional VAEs (Sohn, Lee and Yan 2015), one per direction.

For Y given x:

    recognition q(z|x,y), conditional prior p(z|x), decoder y(z, x)

and for X given y the same with the sides swapped, with networks of its
own. There is no joint generation and no common latent: a CVAE's latent
holds what the target has beyond the condition.

Parameters: {'y_given_x': {'recognition', 'prior', 'decoder'},
'x_given_y': {...}}, both trained together in one phase (the sum of the
two objectives; they share no parameter).
"""

import dataclasses
import functools
from typing import ClassVar

import jax
import jax.numpy as jnp

from wyner_jax import contracts
from wyner_jax import kinds
from wyner_jax import latents
from wyner_jax import losses
from wyner_jax.baselines import base
from wyner_jax.baselines.base import Params

DIRECTIONS = (('y_given_x', 'x', 'y'), ('x_given_y', 'y', 'x'))


def cvae_loss(params_q: jax.Array, params_prior: jax.Array, target: jax.Array,
              target_rec: jax.Array, two_eps_sq: float, *,
              z: latents.LatentFamily) -> tuple[jax.Array, losses.Metrics]:
  """The negative CVAE objective of one direction, averaged over the batch:

      L = KL(q(z|c,t) || p(z|c)) + ||t - t(z, c)||^2 / (2 eps^2)

  for condition c and target t, with z ~ q(z|c,t) in the reconstruction.

  Args:
    params_q: [B, *z.param_shape] of the recognition network q(z|c,t).
    params_prior: [B, *z.param_shape] of the conditional prior p(z|c).
    target: [B, ...]; target_rec: t(z, c) of one relaxed sample, its shape.
    two_eps_sq: 2 eps^2 > 0 of the target's likelihood.
    z: keyword-only latent family of both.

  Returns:
    (loss, metrics) with `loss`, `kl/z`, `rec`.
  """
  latents.check_family('z', z)
  contracts.batch_size(params_q=params_q, params_prior=params_prior,
                       target=target, target_rec=target_rec)
  contracts.check_positive_number('two_eps_sq', two_eps_sq)
  kl_z = jnp.mean(base.kl_between(z, params_q, params_prior))
  rec = jnp.mean(losses.squared_error(target, target_rec))
  loss = kl_z + rec / two_eps_sq
  return loss, {'loss': loss, 'kl/z': kl_z, 'rec': rec}


@dataclasses.dataclass(frozen=True)
class CVAE(base.BaselineNetworks):
  """Two conditional VAEs (module docstring).

  Attributes:
    z: size of each CVAE's latent ((N, K) categoricals or (D,) Gaussian).
    latent_type: 'categorical' or 'gaussian'.
    (and `base.BaselineNetworks`' network settings)
  """
  CAN: ClassVar[tuple[str, ...]] = ()
  z: tuple[int, ...] = (1, 100)
  latent_type: str = 'categorical'

  @property
  def latent_z(self) -> latents.LatentFamily:
    return latents.latent_family(self.latent_type, self.z)

  def init(self, rng: jax.Array) -> Params:
    z, out = self.latent_z, {}
    for (direction, given, target), key in zip(DIRECTIONS,
                                               jax.random.split(rng, 2)):
      keys = jax.random.split(key, 3)
      condition, goal = self.example(given), self.example(target)
      out[direction] = {
          'recognition': self.init_encoder(keys[0], z, condition, goal),
          'prior': self.init_encoder(keys[1], z, condition),
          'decoder': self.init_decoder(keys[2], target, base.zeros_sample(z),
                                       condition)}
    return out

  def loss_fn(self, hard: bool, two_eps_sq: float,
              two_eps_sq_y: float | None = None):
    """loss_fn(params, batch): the sum of both directions' `cvae_loss`."""
    weights = {'y': two_eps_sq if two_eps_sq_y is None else two_eps_sq_y,
               'x': two_eps_sq}

    def loss_fn(params, batch: kinds.Batch):
      z, data, total, metrics = self.latent_z, {'x': batch.x, 'y': batch.y}, 0.0, {}
      for (direction, given, target), key in zip(DIRECTIONS,
                                                 jax.random.split(batch.rng, 2)):
        net = params[direction]
        params_q = self.encode(net['recognition'], z, data[given], data[target])
        sample = z.relaxed_sample(key, params_q, batch.tau, hard)
        loss, values = cvae_loss(
            params_q, self.encode(net['prior'], z, data[given]), data[target],
            self.decode(net['decoder'], target, sample, data[given]),
            weights[target], z=z)
        total += loss
        metrics.update({f'kl/z_{direction}': values['kl/z'],
                        f'rec/{target}': values['rec']})
      return total, {'loss': total, **metrics}
    return loss_fn

  @functools.partial(jax.jit,
                     static_argnames=('self', 'given', 'num_samples', 'z_mode'))
  def conditional(self, params: Params, rng: jax.Array, condition: jax.Array,
                  given: str, num_samples: int, z_mode: bool = False
                  ) -> jax.Array:
    """z ~ p(z|c) (its mode with conditional_z='mode'), t = t(z, c)."""
    base.refuse_z_mode(self, z_mode)
    contracts.check_side('condition', condition, given, self.dim(given))
    contracts.check_count('num_samples', num_samples)
    target, z = base.other(given), self.latent_z
    net = params[f'{target}_given_{given}']
    repeated = jnp.repeat(condition.reshape(condition.shape[0], -1),
                          num_samples, axis=0)
    sample = self.conditional_draw(z, rng,
                                   self.encode(net['prior'], z, repeated))
    out = self.decode(net['decoder'], target, sample, repeated)
    return out.reshape(condition.shape[0], num_samples, -1)

  def rates(self, params: Params, x: jax.Array, y: jax.Array
            ) -> dict[str, jax.Array]:
    self.check_data(x=x, y=y)
    del params  # no latent with a fixed prior
    return {}


def _build(config, networks) -> CVAE:
  return CVAE(z=tuple(config.model.z), latent_type=config.model.latent_type,
              **networks)


def _phases(config, model: CVAE) -> tuple[kinds.Phase, ...]:
  loss = model.loss_fn(config.tau.hard, *kinds.likelihood_scales(config))
  return kinds.one_phase(model, loss, base.GROUPS)


# Its entry in the registry of model kinds (`model.z` of `model.latent_type`).
KIND = kinds.Kind(_build, _phases, kinds.SHARED_SPACE + (
    ('latents', (kinds.categorical_latents((1, 100)),
                 kinds.gaussian_latents((8,)), kinds.gaussian_latents((16,)))),
))
