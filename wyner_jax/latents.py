"""Discrete latents: (N, K) categoricals with a uniform prior.

A latent of size (N, K) is N independent categoricals with K classes each; its
encoder emits logits of shape [B, N, K]. Size (0, 0) means "no latent": logits
and samples then have shape [B, 0, 0] and every KL is exactly zero.

Training draws relaxed samples with the Gumbel-softmax (concrete) trick;
generation draws exact one-hots. The KL to the uniform prior is analytic: a
Monte-Carlo estimate through the relaxed density is known to be unstable.
"""

import jax
import jax.numpy as jnp


def gumbel_softmax(rng: jax.Array, logits: jax.Array, tau: jax.Array | float,
                   hard: bool = False) -> jax.Array:
  """Relaxed one-hot sample softmax((logits + g) / tau), g ~ Gumbel(0, 1).

  Args:
    rng: PRNG key.
    logits: [..., K] unnormalised log-probabilities.
    tau: temperature (> 0); a traced scalar so annealing never recompiles.
    hard: straight-through: the forward value is the one-hot of the argmax,
      the gradient is that of the relaxed sample.

  Returns:
    [..., K] rows on the simplex (exact one-hots when `hard`).
  """
  gumbel = jax.random.gumbel(rng, logits.shape, jnp.float32)
  soft = jax.nn.softmax((logits.astype(jnp.float32) + gumbel) / tau, axis=-1)
  if not hard or logits.size == 0:
    return soft
  one_hot = jax.nn.one_hot(jnp.argmax(soft, axis=-1), logits.shape[-1],
                           dtype=soft.dtype)
  return soft + jax.lax.stop_gradient(one_hot - soft)


def kl_to_uniform(logits: jax.Array) -> jax.Array:
  """Analytic KL(q || Uniform) of N independent K-class categoricals.

  KL = sum_n sum_k q_nk (log q_nk + log K), with q = softmax(logits).

  Args:
    logits: [B, N, K].

  Returns:
    [B] KL in nats (zero for an empty latent).
  """
  num_classes = logits.shape[-1]
  if logits.size == 0:
    return jnp.zeros(logits.shape[:1], jnp.float32)
  log_q = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)
  # q * log q -> 0 as q -> 0; exp(log_q) underflows to exactly 0 there, so the
  # product stays finite even for logits of +-1e4.
  # log K in float32 through the same jnp.log that log_softmax uses, so the
  # KL at uniform logits is exactly zero, not a rounding residue.
  log_k = jnp.log(jnp.float32(num_classes))
  kl = jnp.sum(jnp.exp(log_q) * (log_q + log_k), axis=-1)
  return jnp.sum(kl, axis=-1)


def bound_logits(logits: jax.Array, bound: float) -> jax.Array:
  """Soft-clips logits to (-bound, bound) with bound * tanh(logits / bound).

  Keeps the encoders out of saturation at the paper's small eps (see
  docs/method_choices.md); bound <= 0 returns the logits unchanged.
  """
  if bound <= 0:
    return logits
  return bound * jnp.tanh(logits / bound)


def sample_one_hot(rng: jax.Array, logits: jax.Array) -> jax.Array:
  """Exact categorical sample as a one-hot: [..., K] -> [..., K]."""
  if logits.size == 0:  # an absent latent: nothing to draw
    return jnp.zeros(logits.shape, jnp.float32)
  index = jax.random.categorical(rng, logits, axis=-1)
  return jax.nn.one_hot(index, logits.shape[-1], dtype=jnp.float32)


def mode_one_hot(logits: jax.Array) -> jax.Array:
  """One-hot of the most likely class: [..., K] -> [..., K]."""
  if logits.size == 0:
    return jnp.zeros(logits.shape, jnp.float32)
  return jax.nn.one_hot(jnp.argmax(logits, axis=-1), logits.shape[-1],
                        dtype=jnp.float32)


def sample_prior(rng: jax.Array, batch: int, size: tuple[int, int]) -> jax.Array:
  """One-hot samples from the uniform prior of an (N, K) latent: [batch, N, K]."""
  n, k = size
  return sample_one_hot(rng, jnp.zeros((batch, n, k), jnp.float32))


def temperature(step: jax.Array | int, initial: float, minimum: float,
                decay: float) -> jax.Array:
  """Annealed temperature tau = max(minimum, initial * exp(-decay * step))."""
  step = jnp.asarray(step, jnp.float32)
  return jnp.maximum(minimum, initial * jnp.exp(-decay * step))
