"""Using a trained Wyner VAE: joint and conditional generation, style transfer.

The procedures are written once, over the caller's encoder and decoder
callables and latent families (`wyner_jax.Categorical`, `wyner_jax.Gaussian`),
so they work with any networks:

    encode_*(data [B, ...]) -> latent parameters [B, *latent.param_shape]
    decode_*(local sample [M, *local.sample_shape],
             z sample [M, *z.sample_shape]) -> [M, ...]

where M is the number of outputs drawn (B*S, rows*columns, ...). Families
are keyword-only and always in the order z, then the local latents (u, v).
Shapes are checked at trace time: what an encoder returns must be its
family's [B, *param_shape], what a decoder returns one row per sample.

Generation draws exact samples (one-hots for categorical latents, from the
encoders or the priors), never relaxed ones. These functions are pure and
trace under `jax.jit` with the callables closed over (see docs/api.md).

`wyner_jax.model.WynerVAE`'s sampling methods (`conditional`, `joint`,
`transfer`) bind them to its networks and parameter groups.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp

from wyner_jax import contracts
from wyner_jax.latents import LatentFamily, check_family, check_params

Encode = Callable[[jax.Array], jax.Array]
Decode = Callable[[jax.Array, jax.Array], jax.Array]


def generate_joint(rng: jax.Array, num: int, decode_x: Decode,
                   decode_y: Decode, *, z: LatentFamily, u: LatentFamily,
                   v: LatentFamily, prior_z: jax.Array | None = None,
                   prior_u: jax.Array | None = None,
                   prior_v: jax.Array | None = None
                   ) -> tuple[jax.Array, jax.Array]:
  """Pairs from the priors: z ~ p(z), u ~ p(u), v ~ p(v); x = x(u, z), y = y(v, z).

  Args:
    rng: PRNG key.
    num: number of pairs, an int >= 1.
    decode_x, decode_y: x(u, z) and y(v, z), called once each with
      ([num, *u.sample_shape], [num, *z.sample_shape]) (and v).
    z, u, v: keyword-only latent families (their priors are sampled).
    prior_z, prior_u, prior_v: learned prior parameters [*param_shape]
      (`wyner_jax.latents`); None: the family's fixed prior.

  Returns:
    x, y: [num, D] each.
  """
  contracts.check_count('num', num)
  _check_families(z=z, u=u, v=v)
  key_z, key_u, key_v = jax.random.split(rng, 3)
  z_sample = z.sample_prior(key_z, num, prior_z)
  return (_decoded('decode_x', decode_x(u.sample_prior(key_u, num, prior_u),
                                        z_sample), num),
          _decoded('decode_y', decode_y(v.sample_prior(key_v, num, prior_v),
                                        z_sample), num))


def generate_conditional(rng: jax.Array, condition: jax.Array,
                         num_samples: int, encode_z: Encode, decode: Decode, *,
                         z: LatentFamily, local: LatentFamily,
                         z_mode: bool = False,
                         prior_local: jax.Array | None = None) -> jax.Array:
  """Samples of one side given the other, e.g. Y ~ p(y|x):

      z ~ q(z|x),  v ~ p(v),  y = y(v, z)

  (for X ~ p(x|y): encode_z = q(z|y), decode = x(u, z), local = u).

  Args:
    rng: PRNG key.
    condition: [B, ...] the given side.
    num_samples: S, samples per condition, an int >= 1.
    encode_z: the step-2 encoder of z from the given side; must return
      [B, *z.param_shape].
    decode: the decoder of the other side, called once with
      ([B*S, *local.sample_shape], [B*S, *z.sample_shape]), the S samples of
      each condition consecutive; returns [B*S, ...].
    z, local: keyword-only latent families of z and of the other side's
      local latent.
    z_mode: use the mode of q(z|condition) instead of a sample, so that only
      the local latent varies (isolates the "style" variability).
    prior_local: learned prior parameters of the local latent; None: the
      family's fixed prior.

  Returns:
    [B, S, D] (D = the decoder's output flattened).
  """
  contracts.check_count('num_samples', num_samples)
  _check_families(z=z, local=local)
  batch = contracts.batch_size(condition=condition)
  params_z = encode_z(condition)
  check_params('encode_z(condition)', params_z, z)
  contracts.batch_size(condition=condition, **{'encode_z(condition)': params_z})
  key_z, key_local = jax.random.split(rng)
  # Both, then a select: z_mode may be traced, so that sampled and mode
  # outputs are one compiled program. The mode before repeating: XLA:CPU
  # took minutes to compile an argmax over the repeated [B*S, N, K] logits
  # (measured with K = 20).
  z_sample = jnp.where(
      z_mode, jnp.repeat(z.mode(params_z), num_samples, axis=0),
      z.sample(key_z, jnp.repeat(params_z, num_samples, axis=0)))
  local_sample = local.sample_prior(key_local, batch * num_samples, prior_local)
  out = _decoded('decode', decode(local_sample, z_sample), batch * num_samples)
  return out.reshape(batch, num_samples, -1)


def transfer_style(rng: jax.Array, x_style: jax.Array, y_concept: jax.Array,
                   encode_u: Encode, encode_z: Encode, decode_x: Decode, *,
                   z: LatentFamily, u: LatentFamily, grid: bool = True,
                   z_mode: bool = False) -> jax.Array:
  """X with the style of x_style and the concept of y_concept:

      u_i ~ q(u|x_style_i),  z_j ~ q(z|y_concept_j),  X_ij = x(u_i, z_j)

  Args:
    rng: PRNG key.
    x_style: [R, ...] style references; y_concept: [C, ...] concept references.
    encode_u: q(u|x), must return [R, *u.param_shape]; encode_z: q(z|y),
      [C, *z.param_shape]; decode_x: x(u, z), called once with
      ([M, *u.sample_shape], [M, *z.sample_shape]), M = R*C (row-major
      grid) or R.
    z, u: keyword-only latent families.
    grid: every style with every concept ([R, C, D]); False pairs them
      element-wise (R = C, [R, D]), for measuring transfer over many pairs.
    z_mode: the mode of q(z|y) instead of a sample, so that only the style
      reference varies.

  Returns:
    [R, C, D] if `grid`, else [R, D].
  """
  _check_families(z=z, u=u)
  rows = contracts.batch_size(x_style=x_style)
  cols = contracts.batch_size(y_concept=y_concept)
  if not grid and rows != cols:
    raise contracts.ShapeError(
        f'grid=False pairs styles and concepts element-wise: got {rows} styles '
        f'and {cols} concepts; give as many of each')
  key_u, key_z = jax.random.split(rng)
  params_u = encode_u(x_style)
  check_params('encode_u(x_style)', params_u, u)
  params_z = encode_z(y_concept)
  check_params('encode_z(y_concept)', params_z, z)
  contracts.batch_size(x_style=x_style, **{'encode_u(x_style)': params_u})
  contracts.batch_size(y_concept=y_concept, **{'encode_z(y_concept)': params_z})
  u_sample = u.sample(key_u, params_u)
  z_sample = jnp.where(z_mode, z.mode(params_z), z.sample(key_z, params_z))
  if not grid:
    return _decoded('decode_x', decode_x(u_sample, z_sample), rows)
  u_grid = jnp.repeat(u_sample, cols, axis=0)  # row-major (i, j) grid
  z_grid = jnp.tile(z_sample, (rows,) + (1,) * (z_sample.ndim - 1))
  out = _decoded('decode_x', decode_x(u_grid, z_grid), rows * cols)
  return out.reshape(rows, cols, -1)


def _check_families(**families: LatentFamily) -> None:
  for name, family in families.items():
    check_family(name, family)


def _decoded(name: str, out: jax.Array, expected: int) -> jax.Array:
  """A decoder's output, refused unless it has one row per latent sample."""
  if out.ndim < 2 or out.shape[0] != expected:
    raise contracts.ShapeError(
        f'{name} returned shape {tuple(out.shape)}; expected [{expected}, ...]: '
        'one output per latent sample')
  return out.reshape(expected, -1)
