"""VCCA-private (Wang, Yan, Lee, Livescu 2016), in its bidirectional form.

    shared z from one side: q(z|x) or q(z|y)
    private latents: q(u|x), q(v|y)
    decoders x(u, z), y(v, z)

VCCA-private infers z from x alone; its bi-VCCA form (same paper, sec. 3.1)
averages the objective of z inferred from x and from y, which gives both
directions of conditional generation: the form used here, with mu = 1/2.

Parameters: {'encoders': {'z_x', 'z_y', 'u_x', 'v_y'}, 'decoders': {'x',
'y'}} (and {'priors': {'z', 'u', 'v'}} with learned priors), trained in one
phase. The networks and their inputs are the Wyner VAE's step-2 ones and
its decoders; what differs is the training: no joint encoder, one objective.
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
from wyner_jax import sampling
from wyner_jax.baselines import base
from wyner_jax.baselines.base import Params
from wyner_jax.model import PRIORS


def vcca_private_loss(params_z_x: jax.Array, params_z_y: jax.Array,
                      params_u: jax.Array, params_v: jax.Array, x: jax.Array,
                      y: jax.Array, recs_from_x: tuple[jax.Array, jax.Array],
                      recs_from_y: tuple[jax.Array, jax.Array],
                      two_eps_sq: float, *, z: latents.LatentFamily,
                      u: latents.LatentFamily, v: latents.LatentFamily,
                      prior_z: jax.Array | None = None,
                      prior_u: jax.Array | None = None,
                      prior_v: jax.Array | None = None,
                      two_eps_sq_y: float | None = None,
                      mu: float = 0.5) -> tuple[jax.Array, losses.Metrics]:
  """The negative bi-VCCA-private objective, averaged over the batch:

      L = mu [KL(q(z|x) || p(z)) + R(z_x)] + (1 - mu) [KL(q(z|y) || p(z)) + R(z_y)]
          + KL(q(u|x) || p(u)) + KL(q(v|y) || p(v))
      R(z) = ||x - x(u, z)||^2 / (2 eps_x^2) + ||y - y(v, z)||^2 / (2 eps_y^2)

  with z_x ~ q(z|x), z_y ~ q(z|y), u ~ q(u|x), v ~ q(v|y) (the same u, v
  in both terms).

  Args:
    params_z_x, params_z_y, params_u, params_v: [B, *param_shape] of
      q(z|x), q(z|y), q(u|x), q(v|y).
    x, y: [B, ...] data.
    recs_from_x: (x(u, z_x), y(v, z_x)); recs_from_y: (x(u, z_y), y(v, z_y)).
    two_eps_sq: 2 eps^2 > 0.
    z, u, v: keyword-only latent families.
    prior_z, prior_u, prior_v: learned prior parameters; None: fixed.
    two_eps_sq_y: Y's 2 eps^2; None: `two_eps_sq`.
    mu: weight in [0, 1] of the z-from-x term (1: VCCA-private itself).

  Returns:
    (loss, metrics) with `loss`, `kl/z_x`, `kl/z_y`, `kl/u`, `kl/v`,
    `rec/x`, `rec/y` (squared errors averaged over both terms).
  """
  latents.check_family('z', z)
  latents.check_family('u', u)
  latents.check_family('v', v)
  contracts.batch_size(params_z_x=params_z_x, params_z_y=params_z_y,
                       params_u=params_u, params_v=params_v, x=x, y=y)
  contracts.check_positive_number('two_eps_sq', two_eps_sq)
  contracts.check_number('mu', mu, 'a number in [0, 1]',
                         lambda a: (a >= 0) & (a <= 1))
  kl_z_x = jnp.mean(z.kl(params_z_x, prior_z))
  kl_z_y = jnp.mean(z.kl(params_z_y, prior_z))
  kl_u = jnp.mean(u.kl(params_u, prior_u)) if not u.is_empty else 0.0
  kl_v = jnp.mean(v.kl(params_v, prior_v)) if not v.is_empty else 0.0
  rx_x, ry_x, rec_from_x = losses.weighted_errors(x, recs_from_x[0], y,
                                                  recs_from_x[1], two_eps_sq,
                                                  two_eps_sq_y)
  rx_y, ry_y, rec_from_y = losses.weighted_errors(x, recs_from_y[0], y,
                                                  recs_from_y[1], two_eps_sq,
                                                  two_eps_sq_y)
  loss = (mu * (kl_z_x + rec_from_x) + (1 - mu) * (kl_z_y + rec_from_y)
          + kl_u + kl_v)
  return loss, {'loss': loss, 'kl/z_x': kl_z_x, 'kl/z_y': kl_z_y,
                'kl/u': kl_u, 'kl/v': kl_v,
                'rec/x': mu * rx_x + (1 - mu) * rx_y,
                'rec/y': mu * ry_x + (1 - mu) * ry_y}


@dataclasses.dataclass(frozen=True)
class VCCAPrivate(base.BaselineNetworks):
  """bi-VCCA-private (module docstring).

  Attributes:
    z, u, v: sizes of the shared and private latents (as `WynerVAE`'s).
    latent_type, local_type, prior: as `WynerVAE`'s.
    (and `base.BaselineNetworks`' network settings)
  """
  CAN: ClassVar[tuple[str, ...]] = ('joint', 'transfer', 'probe', 'style')
  z: tuple[int, ...] = (1, 100)
  u: tuple[int, ...] = (1, 10)
  v: tuple[int, ...] = (1, 10)
  latent_type: str = 'categorical'
  local_type: str = ''
  prior: str = 'uniform'

  def __post_init__(self):
    super().__post_init__()
    contracts.check_choice('prior', self.prior, PRIORS)

  @property
  def latent_z(self) -> latents.LatentFamily:
    return latents.latent_family(self.latent_type, self.z)

  @property
  def latent_u(self) -> latents.LatentFamily:
    return latents.latent_family(self.local_type or self.latent_type, self.u)

  @property
  def latent_v(self) -> latents.LatentFamily:
    return latents.latent_family(self.local_type or self.latent_type, self.v)

  def _families(self) -> dict[str, latents.LatentFamily]:
    return {'z': self.latent_z, 'u': self.latent_u, 'v': self.latent_v}

  def init(self, rng: jax.Array) -> Params:
    z, u, v = self.latent_z, self.latent_u, self.latent_v
    one_x, one_y = self.example('x'), self.example('y')
    keys = jax.random.split(rng, 6)

    def encoder(key, latent, one):
      return {} if latent.is_empty else self.init_encoder(key, latent, one)

    return base.learned_priors(self.prior, **self._families()) | {
        'encoders': {'z_x': encoder(keys[0], z, one_x),
                     'z_y': encoder(keys[1], z, one_y),
                     'u_x': encoder(keys[2], u, one_x),
                     'v_y': encoder(keys[3], v, one_y)},
        'decoders': {
            'x': self.init_decoder(keys[4], 'x', base.zeros_sample(u),
                                   base.zeros_sample(z)),
            'y': self.init_decoder(keys[5], 'y', base.zeros_sample(v),
                                   base.zeros_sample(z))}}

  def priors(self, params: Params) -> dict[str, jax.Array | None]:
    if self.prior == 'uniform':
      return {'z': None, 'u': None, 'v': None}
    return {name: params['priors'].get(name) for name in ('z', 'u', 'v')}

  def _encode(self, params: Params, name: str, data: jax.Array) -> jax.Array:
    latent = self._families()[name[0]]
    if latent.is_empty:
      return jnp.zeros((data.shape[0], *latent.param_shape), jnp.float32)
    return self.encode(params['encoders'][name], latent, data)

  def loss_fn(self, hard: bool, two_eps_sq: float,
              two_eps_sq_y: float | None = None):
    """loss_fn(params, batch) of `vcca_private_loss`."""
    def loss_fn(params, batch: kinds.Batch):
      x, y, tau = batch.x, batch.y, batch.tau
      z, u, v = self.latent_z, self.latent_u, self.latent_v
      p = {name: self._encode(params, name, data) for name, data in
           (('z_x', x), ('z_y', y), ('u_x', x), ('v_y', y))}
      keys = jax.random.split(batch.rng, 4)
      s_zx = z.relaxed_sample(keys[0], p['z_x'], tau, hard)
      s_zy = z.relaxed_sample(keys[1], p['z_y'], tau, hard)
      s_u = u.relaxed_sample(keys[2], p['u_x'], tau, hard)
      s_v = v.relaxed_sample(keys[3], p['v_y'], tau, hard)
      dec = params['decoders']
      priors = self.priors(params)
      return vcca_private_loss(
          p['z_x'], p['z_y'], p['u_x'], p['v_y'], x, y,
          (self.decode(dec['x'], 'x', s_u, s_zx),
           self.decode(dec['y'], 'y', s_v, s_zx)),
          (self.decode(dec['x'], 'x', s_u, s_zy),
           self.decode(dec['y'], 'y', s_v, s_zy)),
          two_eps_sq, z=z, u=u, v=v, prior_z=priors['z'],
          prior_u=priors['u'], prior_v=priors['v'], two_eps_sq_y=two_eps_sq_y)
    return loss_fn

  def _decode_fn(self, params: Params, side: str):
    return lambda local, z: self.decode(params['decoders'][side], side, local,
                                        z)

  @functools.partial(jax.jit, static_argnames=('self', 'given', 'num_samples'))
  def conditional(self, params: Params, rng: jax.Array, condition: jax.Array,
                  given: str, num_samples: int, z_mode: bool = False
                  ) -> jax.Array:
    """z ~ q(z|given) (its mode with z_mode=True or conditional_z='mode'),
    the other side's private latent from its prior."""
    contracts.check_side('condition', condition, given, self.dim(given))
    target = base.other(given)
    local = self.latent_v if target == 'y' else self.latent_u
    return sampling.generate_conditional(
        rng, condition, num_samples,
        lambda c: self._encode(params, f'z_{given}', c),
        self._decode_fn(params, target), z=self.latent_z, local=local,
        # z_mode is traced here (not a static argument).
        z_mode=jnp.logical_or(z_mode, self.conditional_z == 'mode'),
        prior_local=self.priors(params)['v' if target == 'y' else 'u'])

  @functools.partial(jax.jit, static_argnames=('self', 'num'))
  def joint(self, params: Params, rng: jax.Array, num: int
            ) -> tuple[jax.Array, jax.Array]:
    priors = self.priors(params)
    return sampling.generate_joint(
        rng, num, self._decode_fn(params, 'x'), self._decode_fn(params, 'y'),
        z=self.latent_z, u=self.latent_u, v=self.latent_v,
        prior_z=priors['z'], prior_u=priors['u'], prior_v=priors['v'])

  @functools.partial(jax.jit, static_argnames=('self', 'grid'))
  def transfer(self, params: Params, rng: jax.Array, x_style: jax.Array,
               y_concept: jax.Array, grid: bool = True, z_mode: bool = False
               ) -> jax.Array:
    self.check_data(x=x_style, y=y_concept)
    return sampling.transfer_style(
        rng, x_style, y_concept, lambda x: self._encode(params, 'u_x', x),
        lambda y: self._encode(params, 'z_y', y), self._decode_fn(params, 'x'),
        z=self.latent_z, u=self.latent_u, grid=grid, z_mode=z_mode)

  @functools.partial(jax.jit, static_argnames='self')
  def common_code(self, params: Params, rng: jax.Array, x: jax.Array
                  ) -> jax.Array:
    self.check_data(x=x)
    sample = self.latent_z.sample(rng, self._encode(params, 'z_x', x))
    return sample.reshape(x.shape[0], -1)

  @functools.partial(jax.jit, static_argnames='self')
  def rates(self, params: Params, x: jax.Array, y: jax.Array
            ) -> dict[str, jax.Array]:
    """Z's rate from x (the shared latent of VCCA-private), U's, V's."""
    self.check_data(x=x, y=y)
    priors, families = self.priors(params), self._families()
    return {name[0]: jnp.mean(families[name[0]].kl(
        self._encode(params, name, data), priors[name[0]]))
            for name, data in (('z_x', x), ('u_x', x), ('v_y', y))
            if not families[name[0]].is_empty}


def _build(config, networks) -> VCCAPrivate:
  return VCCAPrivate(z=tuple(config.model.z), u=tuple(config.model.u),
                     v=tuple(config.model.v),
                     latent_type=config.model.latent_type,
                     local_type=config.model.local_type,
                     prior=config.model.prior, **networks)


def _phases(config, model: VCCAPrivate) -> tuple[kinds.Phase, ...]:
  loss = model.loss_fn(config.tau.hard, *kinds.likelihood_scales(config))
  return kinds.one_phase(model, loss, base.GROUPS)


# Its entry in the registry of model kinds (`model.z`, `.u`, `.v`,
# `.latent_type`, `.local_type`, `.prior`).
KIND = kinds.Kind(_build, _phases, kinds.SHARED_SPACE + (
    ('latents', kinds.PRIVATE_LATENTS),))
