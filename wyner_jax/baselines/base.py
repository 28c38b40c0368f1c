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
(style) latent varies; models with private latents only (`'style'` in CAN).

The baselines' networks are the Wyner VAE's (`wyner_jax.networks`): MLPs of
`hidden` units and `depth` hidden layers, encoder outputs bounded by
`logit_bound`, sigmoid decoders for bounded sides.
"""

import dataclasses
from typing import Any, ClassVar

import jax
import jax.numpy as jnp

from wyner_jax import latents
from wyner_jax import networks
from wyner_jax.errors import ArgumentError
from wyner_jax.model import DTYPES, PRIORS

Params = dict[str, Any]


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

  def __post_init__(self):
    if self.dtype not in DTYPES:
      raise ArgumentError(f'dtype={self.dtype!r} is not allowed; allowed: '
                          f'{", ".join(DTYPES)}')

  def dim(self, side: str) -> int:
    return self.x_dim if side == 'x' else self.y_dim

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

  def example(self, side: str) -> jax.Array:
    return jnp.zeros((1, self.dim(side)), jnp.float32)


def check_prior(prior: str) -> None:
  if prior not in PRIORS:
    raise ArgumentError(f'prior={prior!r} is not allowed; allowed: '
                        f'{", ".join(PRIORS)}')


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
  if side not in ('x', 'y'):
    raise ArgumentError(f"given={side!r} is not allowed; allowed: 'x', 'y'")
  return 'y' if side == 'x' else 'x'


def learned_priors(prior: str, **latent_families) -> Params:
  """{'priors': {name: zeros [*param_shape]}} for prior='learned' (the fixed
  priors, where learning starts), {} for 'uniform'."""
  if prior == 'uniform':
    return {}
  return {'priors': {name: jnp.zeros(latent.param_shape, jnp.float32)
                     for name, latent in latent_families.items()
                     if not latent.is_empty}}
