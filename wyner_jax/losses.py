"""The Wyner VAE objectives as pure functions over arrays.

Nothing here depends on our networks: pass latent parameters (logits),
reconstructions and targets from any model. Every KL is computed by `kl`,
latent parameters [B, ...] -> [B] nats: `kl_to_uniform` (categorical latents,
logits [B, N, K], the default) or `wyner_jax.Gaussian.kl` (Gaussian latents,
[B, D, 2] mean and log-variance, against N(0, I)). The delta decoder p(x|u,z) = delta(x - x(u,z)) is relaxed to a
Gaussian of variance eps^2, so -log p(x|u,z) ~ ||x - x(u,z)||^2 / (2 eps^2); the
callers pass `two_eps_sq` = 2 eps^2 (the paper: 1e-4).

Reduction (our choice): squared errors are summed over data dimensions, KLs
over the N categoricals of a latent, and everything is averaged over the batch.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp

from wyner_jax.latents import compute_dtype, kl_to_uniform

Metrics = dict[str, jax.Array]
KLFn = Callable[[jax.Array], jax.Array]


def squared_error(target: jax.Array, reconstruction: jax.Array) -> jax.Array:
  """Per-example squared error ||target - reconstruction||^2.

  Args:
    target, reconstruction: [B, ...]; summed over every axis after the first.

  Returns:
    [B], in `compute_dtype(reconstruction)` (float32 for bfloat16 inputs).
  """
  diff = (target - reconstruction).astype(compute_dtype(reconstruction))
  return jnp.sum(diff.reshape(diff.shape[0], -1) ** 2, axis=-1)


def joint_loss(logits_z: jax.Array, logits_u: jax.Array, logits_v: jax.Array,
               x: jax.Array, x_rec: jax.Array, y: jax.Array, y_rec: jax.Array,
               lam: jax.Array | float, two_eps_sq: float,
               kl: KLFn = kl_to_uniform) -> tuple[jax.Array, Metrics]:
  """Step-1 objective of the joint model, averaged over the batch.

      L1 = (1 + lam) KL(q(z|x,y) || p(z)) + KL(q(u|x,y) || p(u))
           + KL(q(v|x,y) || p(v))
           + (||x - x(u,z)||^2 + ||y - y(v,z)||^2) / (2 eps^2)

  lam weights only the Z term: E[KL(q(z|x,y) || p(z))] is the variational
  upper bound on I(X,Y;Z); lam = 0 is the joint VAE.

  Args:
    logits_z, logits_u, logits_v: [B, N, K] logits of the joint encoders
      ([B, 0, 0] for an absent local latent), or whatever `kl` takes.
    x, y: [B, D] data; x_rec, y_rec: [B, D] decoded relaxed samples.
    lam: lambda >= 0, may be traced.
    two_eps_sq: 2 eps^2 > 0.
    kl: KL of one latent to its prior, [B, ...] -> [B] (module docstring).

  Returns:
    (loss, metrics) with metrics `loss`, `kl/z`, `kl/u`, `kl/v` (nats),
    `rec/x`, `rec/y` (squared errors, not divided by 2 eps^2).
  """
  kl_z = jnp.mean(kl(logits_z))
  kl_u = jnp.mean(kl(logits_u))
  kl_v = jnp.mean(kl(logits_v))
  rec_x = jnp.mean(squared_error(x, x_rec))
  rec_y = jnp.mean(squared_error(y, y_rec))
  loss = (1.0 + lam) * kl_z + kl_u + kl_v + (rec_x + rec_y) / two_eps_sq
  metrics = {'loss': loss, 'kl/z': kl_z, 'kl/u': kl_u, 'kl/v': kl_v,
             'rec/x': rec_x, 'rec/y': rec_y}
  return loss, metrics


def marginal_side_loss(logits_z: jax.Array, logits_local: jax.Array,
                       target: jax.Array, reconstruction: jax.Array,
                       two_eps_sq: float,
                       kl: KLFn = kl_to_uniform) -> tuple[jax.Array, Metrics]:
  """Step-2 objective of one side, averaged over the batch.

      L2x = KL(q(z|x) || p(z)) + KL(q(u|x) || p(u)) + ||x - x(u,z)||^2 / (2 eps^2)

  (and L2y with y, v by symmetry). The decoder producing `reconstruction`
  must be frozen by the caller.

  Args:
    logits_z: [B, N, K] of q(z|x); logits_local: [B, N, K] of q(u|x) (or
      whatever `kl` takes).
    target: [B, D]; reconstruction: [B, D] x(u, z) of relaxed samples.
    two_eps_sq: 2 eps^2 > 0.
    kl: KL of one latent to its prior, [B, ...] -> [B] (module docstring).

  Returns:
    (loss, metrics) with `loss`, `kl/z`, `kl/local`, `rec`.
  """
  kl_z = jnp.mean(kl(logits_z))
  kl_local = jnp.mean(kl(logits_local))
  rec = jnp.mean(squared_error(target, reconstruction))
  loss = kl_z + kl_local + rec / two_eps_sq
  return loss, {'loss': loss, 'kl/z': kl_z, 'kl/local': kl_local, 'rec': rec}


def marginal_loss(logits_z_x: jax.Array, logits_u: jax.Array,
                  logits_z_y: jax.Array, logits_v: jax.Array, x: jax.Array,
                  x_rec: jax.Array, y: jax.Array, y_rec: jax.Array,
                  two_eps_sq: float,
                  kl: KLFn = kl_to_uniform) -> tuple[jax.Array, Metrics]:
  """Step-2 objective of both sides, averaged over the batch:

      L2 = L2x + L2y
         = KL(q(z|x) || p(z)) + KL(q(u|x) || p(u)) + ||x - x(u,z)||^2 / (2 eps^2)
         + KL(q(z|y) || p(z)) + KL(q(v|y) || p(v)) + ||y - y(v,z)||^2 / (2 eps^2)

  with z ~ q(z|x) in x(u, z) and z ~ q(z|y) in y(v, z); the decoders must be
  frozen by the caller.

  Args:
    logits_z_x, logits_u: [B, N, K] of q(z|x), q(u|x).
    logits_z_y, logits_v: [B, N, K] of q(z|y), q(v|y) (or whatever `kl` takes).
    x, y: [B, D] data; x_rec, y_rec: [B, D] decoded relaxed samples.
    two_eps_sq: 2 eps^2 > 0.
    kl: KL of one latent to its prior, [B, ...] -> [B] (module docstring).

  Returns:
    (loss, metrics) with `loss`, `kl/z` = KL(q(z|x)) + KL(q(z|y)) (the Z
    terms of both sides; `kl/z_x`, `kl/z_y` separately), `kl/u`, `kl/v`,
    `rec/x`, `rec/y`.
  """
  loss_x, mx = marginal_side_loss(logits_z_x, logits_u, x, x_rec, two_eps_sq, kl)
  loss_y, my = marginal_side_loss(logits_z_y, logits_v, y, y_rec, two_eps_sq, kl)
  loss = loss_x + loss_y
  metrics = {'loss': loss, 'kl/z': mx['kl/z'] + my['kl/z'],
             'kl/z_x': mx['kl/z'], 'kl/z_y': my['kl/z'],
             'kl/u': mx['kl/local'], 'kl/v': my['kl/local'],
             'rec/x': mx['rec'], 'rec/y': my['rec']}
  return loss, metrics
