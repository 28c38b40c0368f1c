"""JMVAE-KL (Suzuki, Nakayama and Matsuo 2016): one latent for both sides.

    joint encoder q(z|x,y), unimodal encoders q(z|x), q(z|y),
    decoders x(z), y(z); no local latents.

Parameters: {'encoders': {'z', 'z_x', 'z_y'}, 'decoders': {'x', 'y'}} (and
{'priors': {'z'}} with a learned prior), all trained together in one phase.
Conditional generation draws z from a unimodal encoder and decodes the other
side; joint generation draws z from the prior.
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
from wyner_jax.model import PRIORS


def jmvae_loss(params_z: jax.Array, params_z_x: jax.Array,
               params_z_y: jax.Array, x: jax.Array, x_rec: jax.Array,
               y: jax.Array, y_rec: jax.Array, two_eps_sq: float, *,
               z: latents.LatentFamily, alpha: float = 1.0,
               prior_z: jax.Array | None = None,
               two_eps_sq_y: float | None = None
               ) -> tuple[jax.Array, losses.Metrics]:
  """The negative JMVAE-KL objective, averaged over the batch:

      L = KL(q(z|x,y) || p(z)) + ||x - x(z)||^2 / (2 eps_x^2)
          + ||y - y(z)||^2 / (2 eps_y^2)
          + alpha [KL(q(z|x,y) || q(z|x)) + KL(q(z|x,y) || q(z|y))]

  with z ~ q(z|x,y) in both reconstructions; the alpha terms pull each
  unimodal encoder toward the joint one.

  Args:
    params_z, params_z_x, params_z_y: [B, *z.param_shape] of q(z|x,y),
      q(z|x), q(z|y).
    x, y: [B, ...] data; x_rec, y_rec: x(z), y(z) of one relaxed sample.
    two_eps_sq: 2 eps^2 > 0 (the Wyner objectives' likelihood).
    z: keyword-only latent family of all three encoders.
    alpha: weight >= 0 of the unimodal terms (the paper's alpha; 1 here).
    prior_z: learned prior parameters [*param_shape]; None: the fixed prior.
    two_eps_sq_y: Y's 2 eps^2; None: `two_eps_sq`.

  Returns:
    (loss, metrics) with `loss`, `kl/z`, `kl/z_x` = KL(q(z|x,y) || q(z|x)),
    `kl/z_y`, `rec/x`, `rec/y`.
  """
  latents.check_family('z', z)
  contracts.batch_size(params_z=params_z, params_z_x=params_z_x,
                       params_z_y=params_z_y, x=x, x_rec=x_rec, y=y,
                       y_rec=y_rec)
  contracts.check_positive_number('two_eps_sq', two_eps_sq)
  contracts.check_non_negative_number('alpha', alpha)
  kl_z = jnp.mean(z.kl(params_z, prior_z))
  kl_z_x = jnp.mean(base.kl_between(z, params_z, params_z_x))
  kl_z_y = jnp.mean(base.kl_between(z, params_z, params_z_y))
  rec_x, rec_y, rec = losses.weighted_errors(x, x_rec, y, y_rec, two_eps_sq,
                                             two_eps_sq_y)
  loss = kl_z + rec + alpha * (kl_z_x + kl_z_y)
  return loss, {'loss': loss, 'kl/z': kl_z, 'kl/z_x': kl_z_x,
                'kl/z_y': kl_z_y, 'rec/x': rec_x, 'rec/y': rec_y}


@dataclasses.dataclass(frozen=True)
class JMVAE(base.SharedLatent):
  """JMVAE-KL (module docstring).

  Attributes:
    z: size of the one latent ((N, K) categoricals, or (D,) Gaussian).
    latent_type: 'categorical' or 'gaussian'.
    prior: 'uniform' (the family's fixed prior, the paper's) or 'learned'.
    (and `base.BaselineNetworks`' network settings)
  """
  z: tuple[int, ...] = (1, 100)
  latent_type: str = 'categorical'
  prior: str = 'uniform'

  def __post_init__(self):
    super().__post_init__()
    contracts.check_choice('prior', self.prior, PRIORS)

  @property
  def latent_z(self) -> latents.LatentFamily:
    return latents.latent_family(self.latent_type, self.z)

  def init(self, rng: jax.Array) -> Params:
    """`init_shared` and the joint encoder 'z' (and a learned prior)."""
    keys = jax.random.split(rng, 5)
    params = self.init_shared(keys[1:])
    params['encoders']['z'] = self.init_encoder(
        keys[0], self.latent_z, self.example('x'), self.example('y'))
    return base.learned_priors(self.prior, z=self.latent_z) | params

  def prior_z(self, params: Params) -> jax.Array | None:
    return params['priors']['z'] if self.prior == 'learned' else None

  def loss_fn(self, hard: bool, two_eps_sq: float,
              two_eps_sq_y: float | None = None, alpha: float = 1.0):
    """loss_fn(params, batch) of `jmvae_loss`."""
    def loss_fn(params, batch: kinds.Batch):
      x, y, enc, z = batch.x, batch.y, params['encoders'], self.latent_z
      params_z = self.encode(enc['z'], z, x, y)
      sample = z.relaxed_sample(batch.rng, params_z, batch.tau, hard)
      return jmvae_loss(
          params_z, self.posterior(params, 'x', x),
          self.posterior(params, 'y', y),
          x, self.decode(params['decoders']['x'], 'x', sample),
          y, self.decode(params['decoders']['y'], 'y', sample), two_eps_sq,
          z=z, alpha=alpha, prior_z=self.prior_z(params),
          two_eps_sq_y=two_eps_sq_y)
    return loss_fn

  @functools.partial(jax.jit, static_argnames='self')
  def rates(self, params: Params, x: jax.Array, y: jax.Array
            ) -> dict[str, jax.Array]:
    self.check_data(x=x, y=y)
    z = self.latent_z
    params_z = self.encode(params['encoders']['z'], z, x, y)
    return {'z': jnp.mean(z.kl(params_z, self.prior_z(params)))}


def _build(config, networks) -> JMVAE:
  return JMVAE(z=tuple(config.model.z), latent_type=config.model.latent_type,
               prior=config.model.prior, **networks)


def _phases(config, model: JMVAE) -> tuple[kinds.Phase, ...]:
  loss = model.loss_fn(config.tau.hard, *kinds.likelihood_scales(config),
                       alpha=config.loss.get('alpha', 1.0))
  return kinds.one_phase(model, loss, base.GROUPS)


# Its entry in the registry of model kinds (`model.z`, `model.latent_type`,
# `model.prior`; `loss.alpha`).
KIND = kinds.Kind(_build, _phases, kinds.SHARED_SPACE + (
    ('latents', (kinds.categorical_latents((1, 100)),
                 kinds.gaussian_latents((16,)))),
    ('alpha', tuple({'loss.alpha': v} for v in (0.1, 1.0, 10.0))),
))
