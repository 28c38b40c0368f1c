"""Fully connected encoders and decoders (Flax Linen, used via init/apply).

The paper uses fully connected networks of 512 hidden units ("three layers");
the activation is not stated: we use ReLU, with the depth configurable.

`dtype` is the Flax convention's computation type (matmuls and activations,
e.g. bfloat16); parameters stay float32 (`param_dtype`), and every network's
output is returned in float32, so that the latents' softmaxes, KLs and the
loss downstream are computed in float32.
"""

from collections.abc import Sequence
import math

import flax.linen as nn
import jax
import jax.numpy as jnp


class MLP(nn.Module):
  """`depth` ReLU hidden layers of width `hidden`, then a linear output layer."""
  hidden: int
  depth: int
  features: int
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, inputs: jax.Array) -> jax.Array:
    h = inputs
    for _ in range(self.depth):
      h = nn.relu(nn.Dense(self.hidden, dtype=self.dtype)(h))
    return nn.Dense(self.features, dtype=self.dtype)(h)


class Encoder(nn.Module):
  """Maps the concatenated flat inputs to a latent's parameters [B, *shape]
  (logits [B, N, K] of a categorical, [B, D, 2] of a Gaussian)."""
  hidden: int
  depth: int
  shape: tuple[int, ...]
  dtype: jnp.dtype = jnp.float32

  @nn.compact
  def __call__(self, *inputs: jax.Array) -> jax.Array:
    h = jnp.concatenate([a.reshape(a.shape[0], -1) for a in inputs], axis=-1)
    out = MLP(self.hidden, self.depth, math.prod(self.shape), self.dtype)(h)
    return out.reshape(h.shape[0], *self.shape).astype(jnp.float32)


class Decoder(nn.Module):
  """Deterministic decoder x(u, z): flattened latent samples in, one side's
  values out: in (0, 1) through a sigmoid (`bounded`, pixels and codes), or
  unbounded (any real data)."""
  hidden: int
  depth: int
  features: int
  dtype: jnp.dtype = jnp.float32
  bounded: bool = True

  @nn.compact
  def __call__(self, latents: Sequence[jax.Array]) -> jax.Array:
    h = jnp.concatenate([a.reshape(a.shape[0], -1) for a in latents], axis=-1)
    out = MLP(self.hidden, self.depth, self.features, self.dtype)(h)
    out = out.astype(jnp.float32)
    return nn.sigmoid(out) if self.bounded else out
