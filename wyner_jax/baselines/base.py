"""What the baseline models share: their networks and the sampling surface.

Every model a run can train (`wyner_jax.model.WynerVAE` and the baselines of
this package) answers the same calls, which the evaluation and the figures
use; `CAN` says which it has (a model without joint generation has no
`joint`, and a metric it cannot have is absent, not zero):

  conditional(params, rng, condition, given, num_samples, z_mode=False)
      -> [B, S, D] samples of the other side given `given` ('x' or 'y')
  joint(params, rng, num) -> (x [num, Dx], y [num, Dy])        'joint'
  transfer(params, rng, x_style, y_concept, grid=True, z_mode=False)
      -> X with x_style's private latent and y_concept's common one
                                                               'transfer'
  common_code(params, rng, x) -> [B, F] a sample of the common latent
      given x alone (the latent probe)                         'probe'
  rates(params, x, y) -> {latent: batch-mean KL to its prior}

`z_mode` holds the common latent at its mode so that only the private
(style) latent varies; models with private latents only (`'style'` in CAN):
the others refuse z_mode=True (static, so it must be a Python bool there)
rather than ignore it.

The baselines' networks are the Wyner VAE's (`wyner_jax.networks`): MLPs of
`hidden` units and `depth` hidden layers, encoder outputs bounded by
`logit_bound`, sigmoid decoders for bounded sides.
"""

import dataclasses
import functools
from typing import Any, ClassVar

import jax
import jax.numpy as jnp

from wyner_jax import contracts
from wyner_jax import latents
from wyner_jax import networks
from wyner_jax.errors import ArgumentError
from wyner_jax.model import CONDITIONAL_Z, DTYPES, PRIORS, SIDES

Params = dict[str, Any]
# The parameter groups a baseline may have; its one training phase trains
# those it has (`wyner_jax.kinds.one_phase`).
GROUPS = ('encoders', 'decoders', 'priors', 'y_given_x', 'x_given_y')


def refuse_z_mode(model: Any, z_mode: bool) -> None:
  """ArgumentError for z_mode=True on a model without private latents: no
  latent would vary, and ignoring it would answer another question."""
  if z_mode:
    raise ArgumentError(
        f'z_mode=True holds the common latent so that only private latents '
        f'vary; {type(model).__name__} has none (z_mode is for models with '
        "'style' in CAN: the Wyner VAE, VCCA-private)")


@dataclasses.dataclass(frozen=True)
class BaselineNetworks:
  """The network settings every baseline shares (`WynerVAE`'s fields of the
  same names say what each means)."""
  CAN: ClassVar[tuple[str, ...]] = ()
  hidden: int = 512
  depth: int = 2
  x_dim: int = 784
  y_dim: int = 784
  x_bounded: bool = True
  y_bounded: bool = True
  logit_bound: float = 5.0
  dtype: str = 'float32'
  # How `conditional` takes the latent it draws given one side: 'sample'
  # draws it, 'mode' takes its mode (a Gaussian's mean), as
  # `WynerVAE.conditional_z`; a model without private latents then gives
  # one output per condition.
  conditional_z: str = 'sample'

  def __post_init__(self):
    # As `WynerVAE` checks its fields: a bad one is refused when the model
    # is made, not at its first use (or never).
    contracts.check_choice('dtype', self.dtype, DTYPES)
    contracts.check_choice('conditional_z', self.conditional_z, CONDITIONAL_Z)
    for name in ('hidden', 'x_dim', 'y_dim'):
      contracts.check_count(name, getattr(self, name))
    contracts.check_count('depth', self.depth, minimum=0)
    contracts.check_non_negative_number('logit_bound', self.logit_bound)
    for name, allowed in (('latent_type', latents.LATENT_TYPES),
                          ('local_type', ('', *latents.LATENT_TYPES)),
                          ('prior', PRIORS)):
      if hasattr(self, name):
        contracts.check_choice(name, getattr(self, name), allowed)
    # The families refuse sizes they cannot be.
    for name in ('latent_z', 'latent_u', 'latent_v'):
      if hasattr(type(self), name):
        getattr(self, name)

  def dim(self, side: str) -> int:
    return self.x_dim if side == 'x' else self.y_dim

  def check_data(self, **batches: jax.Array) -> None:
    """ShapeError unless each batch ('x=', 'y=') has its side's width."""
    for side, batch in batches.items():
      contracts.check_side(side, batch, side, self.dim(side))

  def init_encoder(self, rng: jax.Array, latent: latents.LatentFamily,
                   *inputs: jax.Array) -> Params:
    """Parameters of an encoder of `latent` from inputs like `inputs`."""
    return networks.Encoder(self.hidden, self.depth, latent.param_shape,
                            jnp.dtype(self.dtype)).init(rng, *inputs)

  def encode(self, params: Params, latent: latents.LatentFamily,
             *inputs: jax.Array) -> jax.Array:
    """[B, *latent.param_shape], bounded by `logit_bound`."""
    out = networks.Encoder(self.hidden, self.depth, latent.param_shape,
                           jnp.dtype(self.dtype)).apply(params, *inputs)
    return latents.bound_logits(out, self.logit_bound)

  def _decoder(self, side: str) -> networks.Decoder:
    bounded = self.x_bounded if side == 'x' else self.y_bounded
    return networks.Decoder(self.hidden, self.depth, self.dim(side),
                            jnp.dtype(self.dtype), bounded)

  def init_decoder(self, rng: jax.Array, side: str,
                   *inputs: jax.Array) -> Params:
    """Parameters of the decoder of `side` from inputs like `inputs`."""
    return self._decoder(side).init(rng, list(inputs))

  def decode(self, params: Params, side: str, *inputs: jax.Array) -> jax.Array:
    """[B, dim of the side] from latent samples (and, for a conditional
    decoder, the given side), flattened and concatenated."""
    return self._decoder(side).apply(params, list(inputs))

  def conditional_draw(self, latent: latents.LatentFamily, rng: jax.Array,
                       params: jax.Array) -> jax.Array:
    """The latent `conditional` decodes, from its distribution's parameters:
    a sample, or its mode with conditional_z='mode'."""
    return (latent.mode(params) if self.conditional_z == 'mode'
            else latent.sample(rng, params))

  def example(self, side: str) -> jax.Array:
    return jnp.zeros((1, self.dim(side)), jnp.float32)


def zeros_sample(latent: latents.LatentFamily) -> jax.Array:
  """One zero sample [1, *sample_shape] (for initialising decoders)."""
  return jnp.zeros((1, *latent.sample_shape), jnp.float32)


def kl_between(latent: latents.LatentFamily, q: jax.Array,
               p: jax.Array) -> jax.Array:
  """[B] KL(q_b || p_b) of two batches of parameters [B, *param_shape] of
  one family (the prior is per example: an encoder's, not a learned one)."""
  latents.check_params('q', q, latent)
  latents.check_params('p', p, latent)
  return jax.vmap(lambda a, b: latent.kl(a[None], b)[0])(q, p)


def other(side: str) -> str:
  contracts.check_choice('given', side, SIDES)
  return 'y' if side == 'x' else 'x'


def learned_priors(prior: str, **latent_families) -> Params:
  """{'priors': {name: zeros [*param_shape]}} for prior='learned' (the fixed
  priors, where learning starts), {} for 'uniform'."""
  if prior == 'uniform':
    return {}
  return {'priors': {name: jnp.zeros(latent.param_shape, jnp.float32)
                     for name, latent in latent_families.items()
                     if not latent.is_empty}}


@dataclasses.dataclass(frozen=True)
class SharedLatent(BaselineNetworks):
  """The models with one latent Z for both sides and no private latents
  (JMVAE-KL, MVAE, MMVAE): encoders of Z from each side ('encoders' 'z_x',
  'z_y'), decoders x(z), y(z), and their sampling surface. A subclass
  gives `latent_z` and says how one side alone is encoded (`posterior`)
  and what the prior is (`prior_z`)."""
  CAN: ClassVar[tuple[str, ...]] = ('joint', 'probe')

  @property
  def latent_z(self) -> latents.LatentFamily:
    raise NotImplementedError

  def prior_z(self, params: Params) -> jax.Array | None:
    """Learned prior parameters of Z; None: the family's fixed prior."""
    del params
    return None

  def posterior(self, params: Params, side: str, data: jax.Array) -> jax.Array:
    """Parameters [B, *param_shape] of q(z|side): its encoder's output."""
    return self.encode(params['encoders'][f'z_{side}'], self.latent_z, data)

  def init_shared(self, keys: jax.Array) -> Params:
    """{'encoders': {'z_x', 'z_y'}, 'decoders': {'x', 'y'}} from 4 keys."""
    z = self.latent_z
    return {'encoders': {'z_x': self.init_encoder(keys[0], z, self.example('x')),
                         'z_y': self.init_encoder(keys[1], z, self.example('y'))},
            'decoders': {side: self.init_decoder(key, side, zeros_sample(z))
                         for side, key in (('x', keys[2]), ('y', keys[3]))}}

  @functools.partial(jax.jit,
                     static_argnames=('self', 'given', 'num_samples', 'z_mode'))
  def conditional(self, params: Params, rng: jax.Array, condition: jax.Array,
                  given: str, num_samples: int, z_mode: bool = False
                  ) -> jax.Array:
    """z ~ q(z|given) (`posterior`; its mode with conditional_z='mode'),
    the other side decoded from it."""
    refuse_z_mode(self, z_mode)
    contracts.check_side('condition', condition, given, self.dim(given))
    contracts.check_count('num_samples', num_samples)
    target = other(given)
    posterior = jnp.repeat(self.posterior(params, given, condition),
                           num_samples, 0)
    sample = self.conditional_draw(self.latent_z, rng, posterior)
    out = self.decode(params['decoders'][target], target, sample)
    return out.reshape(condition.shape[0], num_samples, -1)

  @functools.partial(jax.jit, static_argnames=('self', 'num'))
  def joint(self, params: Params, rng: jax.Array, num: int
            ) -> tuple[jax.Array, jax.Array]:
    """z ~ p(z), both sides decoded from it."""
    sample = self.latent_z.sample_prior(rng, num, self.prior_z(params))
    return (self.decode(params['decoders']['x'], 'x', sample),
            self.decode(params['decoders']['y'], 'y', sample))

  @functools.partial(jax.jit, static_argnames='self')
  def common_code(self, params: Params, rng: jax.Array, x: jax.Array
                  ) -> jax.Array:
    self.check_data(x=x)
    sample = self.latent_z.sample(rng, self.posterior(params, 'x', x))
    return sample.reshape(x.shape[0], -1)
