"""The Wyner VAE objectives as pure functions over arrays.

Nothing here depends on our networks: pass latent parameters, reconstructions
and targets from any model, with the latent families that say what the
parameters are (keyword-only `z=`, `u=`, `v=` / `local=`):
`wyner_jax.Categorical(N, K)` (logits [B, N, K], KL to the uniform prior) or
`wyner_jax.Gaussian(D)` ([B, D, 2] mean and log-variance, KL to N(0, I)); they
may differ, e.g. a categorical Z with Gaussian U and V. A family left out is
the categorical of its logits' shape; logits whose last axis is 2 are refused
then, since Gaussian parameters have that shape too.

The priors are the families' fixed ones unless learned prior parameters are
given (keyword-only `prior_z=`, `prior_u=`, `prior_v=` / `prior_local=`,
each [*param_shape] without a batch axis, see `wyner_jax.latents`): the
poster's p_theta. Their gradient moves each toward the batch's aggregate
posterior.

The delta decoder p(x|u,z) = delta(x - x(u,z)) is relaxed to a Gaussian of
variance eps^2, so -log p(x|u,z) ~ ||x - x(u,z)||^2 / (2 eps^2); the callers
pass `two_eps_sq` = 2 eps^2 (the paper: 1e-4). Sides of different kinds may
weigh their likelihoods differently (MMVAE and the authors' later code weight
modalities): `two_eps_sq_y=` gives Y its own 2 eps^2 (None: X's).

Reduction (our choice): squared errors are summed over data dimensions, KLs
over the N categoricals (D dimensions) of a latent, and everything is
averaged over the batch.

Shapes are checked at trace time (free under `jax.jit`): every argument must
have the same batch size B, each reconstruction its target's shape, each
latent's parameters its family's [B, *param_shape]; a mismatch raises
`wyner_jax.contracts.ShapeError` naming the argument.
"""


import jax
import jax.numpy as jnp

from wyner_jax import contracts
from wyner_jax.latents import (Categorical, LatentFamily, check_family,
                               check_params, compute_dtype)

Metrics = dict[str, jax.Array]


def _mean_kls(**given) -> list[jax.Array]:
  """Batch-mean KL of each latent, from (name: (params, family | None,
  prior | None)); a family left out is the categorical of its logits' shape."""
  means = []
  for name, (params, family, prior) in given.items():
    if family is None:
      family = _categorical_of(name, params)
    else:
      check_family(name.split('_', 1)[1], family)
    check_params(name, params, family)
    means.append(jnp.mean(family.kl(params, prior)))
  return means


def _categorical_of(name: str, logits: jax.Array) -> Categorical:
  """The categorical family of logits [B, N, K], when none was given."""
  contracts.check_rank(name, logits, 3, '[B, N, K] logits of a categorical '
                       'latent (or pass its family)')
  if logits.shape[-1] == 2:
    n, keyword = logits.shape[1], name.split('_')[1]
    raise contracts.ShapeError(
        f'{name} has shape {tuple(logits.shape)}: Gaussian parameters or {n} '
        f'binary categoricals? pass its family: {keyword}=wyner_jax.Gaussian({n}) '
        f'or {keyword}=wyner_jax.Categorical({n}, 2)')
  return Categorical(*logits.shape[1:])


def squared_error(target: jax.Array, reconstruction: jax.Array) -> jax.Array:
  """Per-example squared error ||target - reconstruction||^2.

  Args:
    target, reconstruction: [B, ...] of the same shape (refused otherwise:
      a broadcast would sum the wrong differences); summed over every axis
      after the first.

  Returns:
    [B], in float32 (float64 for a float64 reconstruction; bfloat16 and
    integer inputs are subtracted and summed in float32).
  """
  contracts.batch_size(target=target)
  contracts.check_same_shape('target', target, 'reconstruction', reconstruction)
  # Cast before subtracting: integer data (uint8 images) would wrap around.
  dtype = compute_dtype(reconstruction)
  diff = target.astype(dtype) - reconstruction.astype(dtype)
  return jnp.sum(diff.reshape(diff.shape[0], -1) ** 2, axis=-1)


def _squared_errors(**pairs) -> list[jax.Array]:
  """Batch-mean squared error of each (target, reconstruction), named."""
  out = []
  for name, (target, reconstruction) in pairs.items():
    contracts.check_same_shape(name, target, f'{name}_rec', reconstruction)
    out.append(jnp.mean(squared_error(target, reconstruction)))
  return out


def weighted_errors(x: jax.Array, x_rec: jax.Array, y: jax.Array,
                    y_rec: jax.Array, two_eps_sq: float,
                    two_eps_sq_y: float | None = None
                    ) -> tuple[jax.Array, jax.Array, jax.Array]:
  """(batch-mean ||x - x_rec||^2, ||y - y_rec||^2, their sum weighted as
  the negative log-likelihood: rec_x / (2 eps_x^2) + rec_y / (2 eps_y^2),
  eps_y = eps_x unless `two_eps_sq_y` is given)."""
  if two_eps_sq_y is not None:
    contracts.check_positive_number('two_eps_sq_y', two_eps_sq_y)
  rec_x, rec_y = _squared_errors(x=(x, x_rec), y=(y, y_rec))
  if two_eps_sq_y is None:
    return rec_x, rec_y, (rec_x + rec_y) / two_eps_sq
  return rec_x, rec_y, rec_x / two_eps_sq + rec_y / two_eps_sq_y


def joint_loss(logits_z: jax.Array, logits_u: jax.Array, logits_v: jax.Array,
               x: jax.Array, x_rec: jax.Array, y: jax.Array, y_rec: jax.Array,
               lam: jax.Array | float, two_eps_sq: float, *,
               z: LatentFamily | None = None, u: LatentFamily | None = None,
               v: LatentFamily | None = None, prior_z: jax.Array | None = None,
               prior_u: jax.Array | None = None,
               prior_v: jax.Array | None = None,
               two_eps_sq_y: float | None = None) -> tuple[jax.Array, Metrics]:
  """Step-1 objective of the joint model, averaged over the batch.

      L1 = (1 + lam) KL(q(z|x,y) || p(z)) + KL(q(u|x,y) || p(u))
           + KL(q(v|x,y) || p(v))
           + ||x - x(u,z)||^2 / (2 eps_x^2) + ||y - y(v,z)||^2 / (2 eps_y^2)

  (eps_y = eps_x unless `two_eps_sq_y` is given).

  lam weights only the Z term: E[KL(q(z|x,y) || p(z))] is the variational
  upper bound on I(X,Y;Z); lam = 0 is the joint VAE.

  Args:
    logits_z, logits_u, logits_v: [B, *param_shape] parameters of the joint
      encoders (logits [B, N, K]; [B, 0, 0] for an absent local latent).
    x, y: [B, ...] data; x_rec, y_rec: decoded relaxed samples, of the
      data's shapes.
    lam: lambda >= 0 (a Python number < 0 is refused); may be traced.
    two_eps_sq: 2 eps^2 > 0 (a Python number <= 0 is refused).
    z, u, v: keyword-only latent families (module docstring); each left out
      is the categorical of its logits' shape.
    prior_z, prior_u, prior_v: learned prior parameters [*param_shape]
      (module docstring); None: the family's fixed prior.
    two_eps_sq_y: Y's 2 eps^2 > 0; None: `two_eps_sq`.

  Returns:
    (loss, metrics) with metrics `loss`, `kl/z`, `kl/u`, `kl/v` (nats),
    `rec/x`, `rec/y` (squared errors, not divided by 2 eps^2).
  """
  contracts.batch_size(logits_z=logits_z, logits_u=logits_u, logits_v=logits_v,
                       x=x, x_rec=x_rec, y=y, y_rec=y_rec)
  _check_weights(two_eps_sq, lam, two_eps_sq_y)
  kl_z, kl_u, kl_v = _mean_kls(logits_z=(logits_z, z, prior_z),
                               logits_u=(logits_u, u, prior_u),
                               logits_v=(logits_v, v, prior_v))
  rec_x, rec_y, rec = weighted_errors(x, x_rec, y, y_rec, two_eps_sq,
                                      two_eps_sq_y)
  loss = (1.0 + lam) * kl_z + kl_u + kl_v + rec
  metrics = {'loss': loss, 'kl/z': kl_z, 'kl/u': kl_u, 'kl/v': kl_v,
             'rec/x': rec_x, 'rec/y': rec_y}
  return loss, metrics


def marginal_side_loss(logits_z: jax.Array, logits_local: jax.Array,
                       target: jax.Array, reconstruction: jax.Array,
                       two_eps_sq: float, *, z: LatentFamily | None = None,
                       local: LatentFamily | None = None,
                       prior_z: jax.Array | None = None,
                       prior_local: jax.Array | None = None
                       ) -> tuple[jax.Array, Metrics]:
  """Step-2 objective of one side, averaged over the batch.

      L2x = KL(q(z|x) || p(z)) + KL(q(u|x) || p(u)) + ||x - x(u,z)||^2 / (2 eps^2)

  (and L2y with y, v by symmetry). The decoder producing `reconstruction`
  must be frozen by the caller.

  Args:
    logits_z: [B, *param_shape] of q(z|x); logits_local: of q(u|x).
    target: [B, ...]; reconstruction: x(u, z) of relaxed samples, of the
      target's shape.
    two_eps_sq: 2 eps^2 > 0.
    z, local: keyword-only latent families (module docstring).
    prior_z, prior_local: learned prior parameters (the step-1 ones,
      frozen by the caller); None: the fixed priors.

  Returns:
    (loss, metrics) with `loss`, `kl/z`, `kl/local`, `rec`: one side has no
    u or v yet, hence names other than `marginal_loss`'s, which adds the
    side to them (`kl/u`, `rec/x`, ...).
  """
  contracts.batch_size(logits_z=logits_z, logits_local=logits_local,
                       target=target, reconstruction=reconstruction)
  _check_weights(two_eps_sq)
  kl_z, kl_local = _mean_kls(logits_z=(logits_z, z, prior_z),
                             logits_local=(logits_local, local, prior_local))
  rec = jnp.mean(squared_error(target, reconstruction))
  loss = kl_z + kl_local + rec / two_eps_sq
  return loss, {'loss': loss, 'kl/z': kl_z, 'kl/local': kl_local, 'rec': rec}


def marginal_loss(logits_z_x: jax.Array, logits_u: jax.Array,
                  logits_z_y: jax.Array, logits_v: jax.Array, x: jax.Array,
                  x_rec: jax.Array, y: jax.Array, y_rec: jax.Array,
                  two_eps_sq: float, *, z: LatentFamily | None = None,
                  u: LatentFamily | None = None, v: LatentFamily | None = None,
                  prior_z: jax.Array | None = None,
                  prior_u: jax.Array | None = None,
                  prior_v: jax.Array | None = None,
                  two_eps_sq_y: float | None = None
                  ) -> tuple[jax.Array, Metrics]:
  """Step-2 objective of both sides, averaged over the batch, the sum of
  `marginal_side_loss` of each side:

      L2 = L2x + L2y
         = KL(q(z|x) || p(z)) + KL(q(u|x) || p(u)) + ||x - x(u,z)||^2 / (2 eps^2)
         + KL(q(z|y) || p(z)) + KL(q(v|y) || p(v)) + ||y - y(v,z)||^2 / (2 eps^2)

  with z ~ q(z|x) in x(u, z) and z ~ q(z|y) in y(v, z); the decoders must be
  frozen by the caller.

  Args:
    logits_z_x, logits_u: [B, *param_shape] of q(z|x), q(u|x).
    logits_z_y, logits_v: of q(z|y), q(v|y).
    x, y: [B, ...] data; x_rec, y_rec: decoded relaxed samples, of the
      data's shapes.
    two_eps_sq: 2 eps^2 > 0.
    z, u, v: keyword-only latent families (module docstring).
    prior_z, prior_u, prior_v: learned prior parameters (the step-1 ones,
      frozen by the caller; prior_z serves both sides); None: fixed priors.
    two_eps_sq_y: Y's 2 eps^2 > 0; None: `two_eps_sq`.

  Returns:
    (loss, metrics) with `loss`, `kl/z` = KL(q(z|x)) + KL(q(z|y)) (the Z
    terms of both sides; `kl/z_x`, `kl/z_y` separately), `kl/u`, `kl/v`,
    `rec/x`, `rec/y`.
  """
  contracts.batch_size(logits_z_x=logits_z_x, logits_u=logits_u,
                       logits_z_y=logits_z_y, logits_v=logits_v, x=x,
                       x_rec=x_rec, y=y, y_rec=y_rec)
  _check_weights(two_eps_sq, 0.0, two_eps_sq_y)
  loss_x, side_x = marginal_side_loss(logits_z_x, logits_u, x, x_rec,
                                      two_eps_sq, z=z, local=u,
                                      prior_z=prior_z, prior_local=prior_u)
  loss_y, side_y = marginal_side_loss(
      logits_z_y, logits_v, y, y_rec,
      two_eps_sq if two_eps_sq_y is None else two_eps_sq_y, z=z, local=v,
      prior_z=prior_z, prior_local=prior_v)
  loss = loss_x + loss_y
  metrics = {'loss': loss, 'kl/z': side_x['kl/z'] + side_y['kl/z'],
             'kl/z_x': side_x['kl/z'], 'kl/z_y': side_y['kl/z'],
             'kl/u': side_x['kl/local'], 'kl/v': side_y['kl/local'],
             'rec/x': side_x['rec'], 'rec/y': side_y['rec']}
  return loss, metrics


def posterior_tie(params_joint: jax.Array, params_marginal: jax.Array, *,
                  z: LatentFamily | None = None) -> jax.Array:
  """Batch-mean KL(q(z|x,y) || q(z|x)) of each pair's two posteriors.

  JMVAE-KL's tie of a unimodal encoder to the joint one (Suzuki et al.
  2016): it fits q(z|x) to cover the joint posterior q(z|x,y), the
  posterior whose samples the decoders were trained on in step 1. The
  joint posterior is a target: stop its gradient where it must stay fixed
  (step 2 holds the joint encoder frozen).

  Args:
    params_joint: [B, *param_shape] parameters of q(z|x,y).
    params_marginal: [B, *param_shape] parameters of q(z|x) (or q(z|y)).
    z: keyword-only family of both (left out: the categorical of the
      logits' shape).

  Returns:
    The KL in nats, averaged over the batch (a scalar).
  """
  contracts.batch_size(params_joint=params_joint,
                       params_marginal=params_marginal)
  if z is None:
    z = _categorical_of('params_joint', params_joint)
  else:
    check_family('z', z)
  check_params('params_joint', params_joint, z)
  check_params('params_marginal', params_marginal, z)
  # family.kl takes one prior for the batch: the per-pair "prior" here is
  # each pair's q(z|x), so the KL is taken pair by pair.
  per_pair = jax.vmap(lambda q, p: z.kl(q[None], p)[0])(params_joint,
                                                        params_marginal)
  return jnp.mean(per_pair)


def _check_weights(two_eps_sq, lam=0.0, two_eps_sq_y=None) -> None:
  contracts.check_positive_number('two_eps_sq', two_eps_sq)
  if two_eps_sq_y is not None:
    contracts.check_positive_number('two_eps_sq_y', two_eps_sq_y)
  contracts.check_non_negative_number('lam', lam)
