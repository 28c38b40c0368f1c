"""Using a trained Wyner VAE: joint and conditional generation, style transfer.

Generation draws discrete latents as exact one-hots (categorical samples from
the encoders or the uniform priors), never relaxed samples.

Every function takes `params` with the groups of `wyner_jax.model.WynerVAE`
('decoders' and, for conditional generation and style transfer, 'marginal').
"""

import functools

import jax
import jax.numpy as jnp

from wyner_jax import latents
from wyner_jax.model import Params, WynerVAE


@functools.partial(jax.jit, static_argnames=('model', 'num'))
def joint_samples(model: WynerVAE, params: Params, rng: jax.Array,
                  num: int) -> tuple[jax.Array, jax.Array]:
  """Pairs from the priors: z, u, v ~ p; x = x(u, z), y = y(v, z).

  Returns:
    x, y: [num, D] each.
  """
  key_z, key_u, key_v = jax.random.split(rng, 3)
  z = latents.sample_prior(key_z, num, model.z)
  u = latents.sample_prior(key_u, num, model.u)
  v = latents.sample_prior(key_v, num, model.v)
  dec = params['decoders']
  return model.decode(dec['x'], u, z), model.decode(dec['y'], v, z)


def _conditional(model: WynerVAE, params: Params, rng: jax.Array,
                 condition: jax.Array, num_samples: int, side: str,
                 z_mode: bool) -> jax.Array:
  """Shared body of the two conditional directions (`side` is the given one)."""
  z_encoder, decoder, local_size = (('z_x', 'y', model.v) if side == 'x'
                                    else ('z_y', 'x', model.u))
  logits_z = model.encode(params['marginal'][z_encoder], model.z, condition)
  batch = condition.shape[0]
  key_z, key_local = jax.random.split(rng)
  if z_mode:
    # The mode before repeating: XLA:CPU took minutes to compile an argmax
    # over the repeated [B*S, N, K] logits (measured with K = 20).
    z = jnp.repeat(latents.mode_one_hot(logits_z), num_samples, axis=0)
  else:
    z = latents.sample_one_hot(key_z, jnp.repeat(logits_z, num_samples, axis=0))
  local = latents.sample_prior(key_local, batch * num_samples, local_size)
  out = model.decode(params['decoders'][decoder], local, z)
  return out.reshape(batch, num_samples, -1)


@functools.partial(jax.jit, static_argnames=('model', 'num_samples', 'z_mode'))
def y_given_x(model: WynerVAE, params: Params, rng: jax.Array, x: jax.Array,
              num_samples: int, z_mode: bool = False) -> jax.Array:
  """Y ~ p(y|x): z ~ q(z|x), v ~ p(v), y = y(v, z).

  Args:
    x: [B, D] conditions.
    num_samples: samples per condition.
    z_mode: use the mode of q(z|x) instead of a sample, so that only v varies
      (isolates the "style" variability).

  Returns:
    [B, num_samples, D].
  """
  return _conditional(model, params, rng, x, num_samples, 'x', z_mode)


@functools.partial(jax.jit, static_argnames=('model', 'num_samples', 'z_mode'))
def x_given_y(model: WynerVAE, params: Params, rng: jax.Array, y: jax.Array,
              num_samples: int, z_mode: bool = False) -> jax.Array:
  """X ~ p(x|y): z ~ q(z|y), u ~ p(u), x = x(u, z); see `y_given_x`."""
  return _conditional(model, params, rng, y, num_samples, 'y', z_mode)


def _style_and_concept(model: WynerVAE, params: Params, rng: jax.Array,
                       x_style: jax.Array, y_concept: jax.Array,
                       z_mode: bool) -> tuple[jax.Array, jax.Array]:
  """u ~ q(u|x_style) and z ~ q(z|y_concept) (or its mode) as one-hots."""
  key_u, key_z = jax.random.split(rng)
  marginal = params['marginal']
  u = latents.sample_one_hot(key_u, model.encode(marginal['u_x'], model.u, x_style))
  logits_z = model.encode(marginal['z_y'], model.z, y_concept)
  z = (latents.mode_one_hot(logits_z) if z_mode
       else latents.sample_one_hot(key_z, logits_z))
  return u, z


@functools.partial(jax.jit, static_argnames=('model',))
def style_transfer(model: WynerVAE, params: Params, rng: jax.Array,
                   x_style: jax.Array, y_concept: jax.Array) -> jax.Array:
  """X_ij = x(u_i, z_j) with u_i ~ q(u|x_style_i) and z_j ~ q(z|y_concept_j).

  Args:
    x_style: [R, D] style references.
    y_concept: [C, D] concept references.

  Returns:
    [R, C, D].
  """
  u, z = _style_and_concept(model, params, rng, x_style, y_concept, False)
  rows, cols = u.shape[0], z.shape[0]
  u_grid = jnp.repeat(u, cols, axis=0)  # row-major (i, j) grid
  z_grid = jnp.tile(z, (rows, 1, 1))
  out = model.decode(params['decoders']['x'], u_grid, z_grid)
  return out.reshape(rows, cols, -1)


@functools.partial(jax.jit, static_argnames=('model', 'z_mode'))
def style_transfer_pairs(model: WynerVAE, params: Params, rng: jax.Array,
                         x_style: jax.Array, y_concept: jax.Array,
                         z_mode: bool = False) -> jax.Array:
  """X_i = x(u_i, z_i), u_i ~ q(u|x_style_i), z_i ~ q(z|y_concept_i): [B, D].

  The element-wise form of `style_transfer`, for measuring it over many pairs;
  `z_mode` takes the mode of q(z|y) so that only the style reference varies.
  """
  u, z = _style_and_concept(model, params, rng, x_style, y_concept, z_mode)
  return model.decode(params['decoders']['x'], u, z)
