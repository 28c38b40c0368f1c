"""The Wyner VAE: which networks exist and how they connect.

    joint encoders (step 1)     q(z|x,y), q(u|x,y), q(v|x,y)
    decoders                    x(u, z), y(v, z)
    marginal encoders (step 2)  q(z|x), q(u|x)   and   q(z|y), q(v|y)

Parameters are a plain nested dict with three top-level groups, so the two
training steps can own disjoint parts of it:

    {'joint': {'z', 'u', 'v'}, 'decoders': {'x', 'y'},
     'marginal': {'z_x', 'u_x', 'z_y', 'v_y'}}

An empty latent (size (0, 0)) has no network: its entry is an empty dict and
its logits are a [B, 0, 0] array.
"""

import dataclasses
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from wyner_jax import latents
from wyner_jax import networks

Params = dict[str, Any]
Size = tuple[int, int]


class JointOutputs(NamedTuple):
  """Step-1 forward pass on a batch of pairs."""
  logits_z: jax.Array  # [B, Nz, Kz] of q(z|x,y)
  logits_u: jax.Array  # [B, Nu, Ku] of q(u|x,y)
  logits_v: jax.Array  # [B, Nv, Kv] of q(v|x,y)
  x_rec: jax.Array  # [B, D] x(u, z)
  y_rec: jax.Array  # [B, D] y(v, z)


class MarginalOutputs(NamedTuple):
  """Step-2 forward pass: each side encoded alone, decoded by the frozen decoders."""
  logits_z_x: jax.Array  # [B, Nz, Kz] of q(z|x)
  logits_u: jax.Array  # [B, Nu, Ku] of q(u|x)
  logits_z_y: jax.Array  # [B, Nz, Kz] of q(z|y)
  logits_v: jax.Array  # [B, Nv, Kv] of q(v|y)
  x_rec: jax.Array  # [B, D]
  y_rec: jax.Array  # [B, D]


def is_empty(size: Size) -> bool:
  return size[0] * size[1] == 0


@dataclasses.dataclass(frozen=True)
class WynerVAE:
  """Static description of a Wyner VAE; all methods are pure functions of params.

  Attributes:
    z, u, v: (N, K) sizes of the common and local latents; (0, 0) for none.
    hidden: hidden width of every MLP.
    depth: number of hidden layers of every MLP.
    data_dim: flattened size of one image (784 for MNIST).
    logit_bound: encoder logits pass through bound * tanh(logits / bound);
      0 turns it off (the paper's literal model, which collapses, method.md §8).
  """
  z: Size
  u: Size
  v: Size
  hidden: int = 512
  depth: int = 2
  data_dim: int = 784
  logit_bound: float = 5.0

  def _encoder(self, size: Size) -> networks.Encoder:
    return networks.Encoder(self.hidden, self.depth, size)

  def _decoder(self) -> networks.Decoder:
    return networks.Decoder(self.hidden, self.depth, self.data_dim)

  def init(self, rng: jax.Array) -> Params:
    """Initialises every network of both steps."""
    one = jnp.zeros((1, self.data_dim), jnp.float32)

    def init_encoder(key, size, *inputs):
      return {} if is_empty(size) else self._encoder(size).init(key, *inputs)

    def latent(size):
      return jnp.zeros((1, *size), jnp.float32)

    keys = iter(jax.random.split(rng, 9))
    return {
        'joint': {
            'z': init_encoder(next(keys), self.z, one, one),
            'u': init_encoder(next(keys), self.u, one, one),
            'v': init_encoder(next(keys), self.v, one, one),
        },
        'decoders': {
            'x': self._decoder().init(next(keys), [latent(self.u), latent(self.z)]),
            'y': self._decoder().init(next(keys), [latent(self.v), latent(self.z)]),
        },
        'marginal': {
            'z_x': init_encoder(next(keys), self.z, one),
            'u_x': init_encoder(next(keys), self.u, one),
            'z_y': init_encoder(next(keys), self.z, one),
            'v_y': init_encoder(next(keys), self.v, one),
        },
    }

  def encode(self, params: Params, size: Size, *inputs: jax.Array) -> jax.Array:
    """Logits [B, N, K] of one encoder (bounded, see `logit_bound`)."""
    if is_empty(size):
      return jnp.zeros((inputs[0].shape[0], *size), jnp.float32)
    logits = self._encoder(size).apply(params, *inputs)
    return latents.bound_logits(logits, self.logit_bound)

  def decode(self, params: Params, local: jax.Array, z: jax.Array) -> jax.Array:
    """x(u, z) or y(v, z): [B, N, K] one-hots (relaxed or exact) -> [B, D]."""
    return self._decoder().apply(params, [local, z])

  def joint_forward(self, params: Params, x: jax.Array, y: jax.Array,
                    rng: jax.Array, tau: jax.Array, hard: bool) -> JointOutputs:
    """Encodes pairs with q(.|x,y), draws relaxed samples and decodes them."""
    enc = params['joint']
    logits_z = self.encode(enc['z'], self.z, x, y)
    logits_u = self.encode(enc['u'], self.u, x, y)
    logits_v = self.encode(enc['v'], self.v, x, y)
    key_z, key_u, key_v = jax.random.split(rng, 3)
    z = latents.gumbel_softmax(key_z, logits_z, tau, hard)
    u = latents.gumbel_softmax(key_u, logits_u, tau, hard)
    v = latents.gumbel_softmax(key_v, logits_v, tau, hard)
    dec = params['decoders']
    return JointOutputs(logits_z, logits_u, logits_v,
                        self.decode(dec['x'], u, z), self.decode(dec['y'], v, z))

  def marginal_forward(self, marginal: Params, decoders: Params, x: jax.Array,
                       y: jax.Array, rng: jax.Array, tau: jax.Array,
                       hard: bool) -> MarginalOutputs:
    """Encodes each side alone with the step-2 encoders; decoders are given."""
    logits_z_x = self.encode(marginal['z_x'], self.z, x)
    logits_u = self.encode(marginal['u_x'], self.u, x)
    logits_z_y = self.encode(marginal['z_y'], self.z, y)
    logits_v = self.encode(marginal['v_y'], self.v, y)
    keys = jax.random.split(rng, 4)
    z_x, u, z_y, v = (latents.gumbel_softmax(k, l, tau, hard) for k, l in zip(
        keys, (logits_z_x, logits_u, logits_z_y, logits_v)))
    return MarginalOutputs(logits_z_x, logits_u, logits_z_y, logits_v,
                           self.decode(decoders['x'], u, z_x),
                           self.decode(decoders['y'], v, z_y))
