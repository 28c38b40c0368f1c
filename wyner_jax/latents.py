"""Latent variables: discrete (N, K) categoricals or continuous Gaussians.

A categorical latent of size (N, K) is N independent categoricals with K
classes each and a uniform prior; its encoder emits logits [B, N, K]. Size
(0, 0) means "no latent": logits and samples then have shape [B, 0, 0] and
every KL is exactly zero. Training draws relaxed samples with the
Gumbel-softmax (concrete) trick; generation draws exact one-hots. The KL to the
uniform prior is analytic: a Monte-Carlo estimate through the relaxed density
is known to be unstable.

A Gaussian latent of D dimensions has a standard normal prior; its encoder
emits [B, D, 2] (mean, log-variance) and samples are [B, D].

A learned prior p_theta (the poster's; `model.prior='learned'`) has the
parameters of one posterior, [*param_shape] without the batch axis: prior
logits [N, K], or a prior mean and log-variance [D, 2]. Zeros are the fixed
prior (uniform, N(0, I)), where a learned one starts. Every `kl` and
`sample_prior` takes it as `prior=`; None is the fixed prior.

`Categorical` and `Gaussian` bundle what the model, the losses and the
sampling procedures need of a latent family, so that those are written once
for both.
"""

import dataclasses
import math
import numbers
from typing import Protocol

import jax
import jax.numpy as jnp

from wyner_jax import contracts
from wyner_jax.errors import ArgumentError, ArgumentTypeError


def compute_dtype(x: jax.Array) -> jnp.dtype:
  """float32 for low-precision inputs (bfloat16, float16), else x's own float type.

  KLs and softmaxes are computed in it: bfloat16 logs and exponentials lose
  the small differences a KL is made of; float64 inputs stay float64.
  """
  return jnp.promote_types(x.dtype, jnp.float32)


def gumbel_softmax(rng: jax.Array, logits: jax.Array, tau: jax.Array | float,
                   hard: bool = False) -> jax.Array:
  """Relaxed one-hot sample softmax((logits + g) / tau), g ~ Gumbel(0, 1).

  Args:
    rng: PRNG key.
    logits: [..., K] unnormalised log-probabilities.
    tau: temperature > 0: a Python number (<= 0 is refused), or a traced
      scalar so that annealing never recompiles; a traced tau is the
      caller's contract (no host check inside a compiled step: 0 gives NaN,
      a negative tau inverts the distribution).
    hard: straight-through: the forward value is the one-hot of the argmax,
      the gradient is that of the relaxed sample.

  Returns:
    [..., K] rows on the simplex (exact one-hots when `hard`), in float32
    (float64 for float64 logits).
  """
  contracts.check_positive_number('tau', tau)
  if logits.ndim == 0:
    raise contracts.ShapeError('logits is a scalar; expected [..., K]')
  dtype = compute_dtype(logits)
  gumbel = jax.random.gumbel(rng, logits.shape, dtype)
  soft = jax.nn.softmax((logits.astype(dtype) + gumbel) / tau, axis=-1)
  if not hard or logits.size == 0:
    return soft
  one_hot = jax.nn.one_hot(jnp.argmax(soft, axis=-1), logits.shape[-1],
                           dtype=soft.dtype)
  return soft + jax.lax.stop_gradient(one_hot - soft)


def kl_to_uniform(logits: jax.Array) -> jax.Array:
  """Analytic KL(q || Uniform) of N independent K-class categoricals.

  KL = sum_n sum_k q_nk (log q_nk + log K), with q = softmax(logits).

  Args:
    logits: [B, N, K] (refused with another number of axes: [B, K] would
      sum over the batch); a logit of -inf masks its class (it adds 0); a
      logit of +inf takes the row's mass (the limit; its KL is log K for
      one such class).

  Returns:
    [B] KL in nats (zero for an empty latent), in float32 (float64 for
    float64 logits).
  """
  contracts.check_rank('logits', logits, 3, '[B, N, K]')
  num_classes = logits.shape[-1]
  dtype = compute_dtype(logits)
  if logits.size == 0:
    return jnp.zeros(logits.shape[:1], dtype)
  log_q = _log_softmax(logits.astype(dtype))
  # log K in the compute dtype through the same jnp.log that log_softmax
  # uses, so the KL at uniform logits is exactly zero, not a rounding residue.
  log_k = jnp.log(jnp.asarray(num_classes, dtype))
  kl = jnp.sum(jnp.exp(log_q) * (_where_q_positive(log_q, log_q) + log_k),
               axis=-1)
  return jnp.sum(kl, axis=-1)


def _log_softmax(logits: jax.Array) -> jax.Array:
  """log softmax over the last axis, at its limit where a logit is +inf:
  the row's mass split equally among its +inf classes, 0 elsewhere
  (jax.nn.log_softmax gives NaN there: inf - inf). Finite rows unchanged."""
  top = jnp.isposinf(logits)
  limit = jnp.any(top, axis=-1, keepdims=True)
  logits = jnp.where(limit, jnp.where(top, 0.0, -jnp.inf), logits)
  return jax.nn.log_softmax(logits, axis=-1)


def _where_q_positive(log_q: jax.Array, log: jax.Array) -> jax.Array:
  """`log` where q > 0, and 0 where q = 0 (a masked class, logit -inf).

  A class of probability 0 adds nothing to a KL (q log q -> 0), but
  exp(-inf) * -inf is NaN; with its logs set to 0 the class adds exactly
  0 * finite, and the gradient stays finite. For finite logits the values
  are unchanged; XLA may round the gradient differently in the last bit.
  """
  return jnp.where(log_q > -jnp.inf, log, 0.0)


def kl_categorical(logits: jax.Array, prior_logits: jax.Array) -> jax.Array:
  """Analytic KL(q || p) of N independent K-class categoricals, p learned.

  KL = sum_n sum_k q_nk (log q_nk - log p_nk), q = softmax(logits),
  p = softmax(prior_logits); zero prior logits give `kl_to_uniform`.

  Args:
    logits: [B, N, K]; a logit of -inf masks its class (it adds 0).
    prior_logits: [N, K], shared by the batch; a class the prior masks
      (-inf) adds 0 where q masks it too; where q does not, the KL is
      infinite, as it is.

  Returns:
    [B] KL in nats (zero for an empty latent), in float32 (float64 for
    float64 logits).
  """
  contracts.check_rank('logits', logits, 3, '[B, N, K]')
  contracts.check_same_shape('prior_logits', prior_logits, 'one row of logits',
                             logits[0])
  dtype = compute_dtype(logits)
  if logits.size == 0:
    return jnp.zeros(logits.shape[:1], dtype)
  log_q = _log_softmax(logits.astype(dtype))
  log_p = _log_softmax(prior_logits.astype(dtype))
  return jnp.sum(jnp.exp(log_q) * (_where_q_positive(log_q, log_q)
                                   - _where_q_positive(log_q, log_p)),
                 axis=(-2, -1))


def aggregate_kl_to_uniform(logits: jax.Array) -> jax.Array:
  """KL(q_bar || Uniform) of the batch's aggregate posterior, q_bar =
  mean over the batch of softmax(logits), per categorical, summed over the N
  categoricals.

  The batch average of KL(q(u|x,y) || p(u)) is I(U; X,Y) + KL(q_bar || p(u))
  (on the batch's empirical distribution). A posterior that gives every pair
  the same one-hot has the largest KL and no information: all of it is this
  second term. Weighting it (`wyner_jax.phases.joint_loss_fn`)
  makes the local latents use their codes across pairs (docs/method_choices.md).

  Args:
    logits: [B, N, K] ([B, 0, 0]: no latent, KL 0).

  Returns:
    [] nats, in float32 (float64 for float64 logits).
  """
  contracts.check_rank('logits', logits, 3, '[B, N, K]')
  dtype = compute_dtype(logits)
  if logits.size == 0:
    return jnp.zeros((), dtype)
  q_bar = jnp.mean(jax.nn.softmax(logits.astype(dtype), axis=-1), axis=0)  # [N, K]
  log_k = jnp.log(jnp.asarray(logits.shape[-1], dtype))
  # xlogy: 0 * log 0 = 0 for a class no pair uses.
  return jnp.sum(jax.scipy.special.xlogy(q_bar, q_bar) + q_bar * log_k)


def bound_logits(logits: jax.Array, bound: float) -> jax.Array:
  """Soft-clips logits to (-bound, bound) with bound * tanh(logits / bound).

  Keeps the encoders out of saturation at the paper's small eps (see
  docs/method_choices.md).

  Args:
    logits: [...] any shape.
    bound: b > 0; b <= 0 returns the logits unchanged.

  Returns:
    [...] like `logits`.
  """
  if bound <= 0:
    return logits
  return bound * jnp.tanh(logits / bound)


def sample_one_hot(rng: jax.Array, logits: jax.Array) -> jax.Array:
  """Exact categorical sample as a one-hot (generation, not training).

  Args:
    rng: PRNG key.
    logits: [..., K] unnormalised log-probabilities ([B, 0, 0]: no latent).

  Returns:
    [..., K] one-hots in float32 (float64 for float64 logits); NaN rows
    where the logits hold a NaN.
  """
  dtype = compute_dtype(logits)
  if logits.size == 0:  # an absent latent: nothing to draw
    return jnp.zeros(logits.shape, dtype)
  index = jax.random.categorical(rng, logits, axis=-1)
  return _nan_where_nan(logits, jax.nn.one_hot(index, logits.shape[-1],
                                               dtype=dtype))


def _nan_where_nan(logits: jax.Array, one_hot: jax.Array) -> jax.Array:
  """`one_hot` with every row [K] whose logits hold a NaN set to NaN: a
  NaN input must not become a confident sample."""
  return jnp.where(jnp.any(jnp.isnan(logits), axis=-1, keepdims=True),
                   jnp.nan, one_hot)


def mode_one_hot(logits: jax.Array) -> jax.Array:
  """One-hot of the most likely class.

  Args:
    logits: [..., K].

  Returns:
    [..., K] one-hots in float32 (float64 for float64 logits); NaN rows
    where the logits hold a NaN.
  """
  dtype = compute_dtype(logits)
  if logits.size == 0:
    return jnp.zeros(logits.shape, dtype)
  return _nan_where_nan(logits, jax.nn.one_hot(jnp.argmax(logits, axis=-1),
                                               logits.shape[-1], dtype=dtype))


def sample_prior(rng: jax.Array, batch: int, size: tuple[int, int]) -> jax.Array:
  """One-hot samples from the uniform prior of a categorical latent.

  Args:
    rng: PRNG key.
    batch: B >= 1, number of samples.
    size: (N, K) as `Categorical` allows; (0, 0) for no latent.

  Returns:
    [B, N, K] float32 one-hots.
  """
  return Categorical(*size).sample_prior(rng, batch)


def temperature(step: jax.Array | int, initial: float, minimum: float,
                decay: float) -> jax.Array:
  """Annealed temperature tau = max(minimum, initial * exp(-decay * step)).

  Args:
    step: training step, may be traced (annealing never recompiles).
    initial: tau at step 0 (> 0).
    minimum: the floor the schedule decays to (> 0).
    decay: rate per step (>= 0).
    Python numbers out of these ranges are refused; traced ones are the
    caller's contract.

  Returns:
    [] in JAX's default float type (float32; float64 with jax_enable_x64).
  """
  contracts.check_positive_number('initial', initial)
  contracts.check_positive_number('minimum', minimum)
  contracts.check_non_negative_number('decay', decay)
  step = jnp.asarray(step, jnp.result_type(float))
  return jnp.maximum(minimum, initial * jnp.exp(-decay * step))


def gaussian_sample(rng: jax.Array, mean: jax.Array,
                    log_var: jax.Array) -> jax.Array:
  """Reparameterized sample mean + exp(log_var / 2) * e, e ~ N(0, I).

  Args:
    rng: PRNG key.
    mean, log_var: [..., D] parameters of a diagonal Gaussian q.

  Returns:
    [..., D] sample (differentiable in mean and log_var), in float32
    (float64 for float64 mean).
  """
  contracts.check_same_shape('mean', mean, 'log_var', log_var)
  dtype = compute_dtype(mean)
  noise = jax.random.normal(rng, mean.shape, dtype)
  return mean.astype(dtype) + jnp.exp(0.5 * log_var.astype(dtype)) * noise


def gaussian_kl_to_standard(mean: jax.Array, log_var: jax.Array) -> jax.Array:
  """Analytic KL(N(mean, diag(exp(log_var))) || N(0, I)).

  KL = 1/2 sum_d (exp(log_var_d) + mean_d^2 - 1 - log_var_d).

  Args:
    mean, log_var: [B, ...] parameters; every axis after the first is summed.

  Returns:
    [B] KL in nats, in float32 (float64 for float64 mean).
  """
  contracts.check_same_shape('mean', mean, 'log_var', log_var)
  contracts.batch_size(mean=mean)
  dtype = compute_dtype(mean)
  mean, log_var = mean.astype(dtype), log_var.astype(dtype)
  kl = 0.5 * (jnp.exp(log_var) + mean ** 2 - 1.0 - log_var)
  return jnp.sum(kl.reshape(kl.shape[0], -1), axis=-1)


def gaussian_kl(mean: jax.Array, log_var: jax.Array, prior_mean: jax.Array,
                prior_log_var: jax.Array) -> jax.Array:
  """Analytic KL(N(mean, diag(exp(log_var))) || N(prior_mean, diag(exp(prior_log_var)))).

  KL = 1/2 sum_d (exp(log_var_d - p_d) + (mean_d - m_d)^2 exp(-p_d) - 1
                  + p_d - log_var_d),  m, p = prior_mean, prior_log_var;
  zeros for m, p give `gaussian_kl_to_standard`.

  Args:
    mean, log_var: [B, ...]; every axis after the first is summed.
    prior_mean, prior_log_var: [...], shared by the batch.

  Returns:
    [B] KL in nats, in float32 (float64 for float64 mean).
  """
  contracts.check_same_shape('mean', mean, 'log_var', log_var)
  contracts.batch_size(mean=mean)
  contracts.check_same_shape('prior_mean', prior_mean, 'one row of mean', mean[0])
  contracts.check_same_shape('prior_mean', prior_mean, 'prior_log_var',
                             prior_log_var)
  dtype = compute_dtype(mean)
  mean, log_var = mean.astype(dtype), log_var.astype(dtype)
  prior_mean, prior_log_var = prior_mean.astype(dtype), prior_log_var.astype(dtype)
  kl = 0.5 * (jnp.exp(log_var - prior_log_var)
              + (mean - prior_mean) ** 2 * jnp.exp(-prior_log_var)
              - 1.0 + prior_log_var - log_var)
  return jnp.sum(kl.reshape(kl.shape[0], -1), axis=-1)


class LatentFamily(Protocol):
  """What the model, the losses and the samplers need of one latent variable.

  Implemented by `Categorical` and `Gaussian`; frozen dataclasses, so they are
  hashable and can be static arguments of `jax.jit`.

  Attributes:
    param_shape: an encoder's output per example; `params` are
      [B, *param_shape].
    sample_shape: one sample; samples are [B, *sample_shape].
    is_empty: the latent is absent (size (0, 0) or (0,)); its KL is zero.
    max_rate: the largest KL to the fixed prior in nats, None if unbounded.
  """
  param_shape: tuple[int, ...]
  sample_shape: tuple[int, ...]
  is_empty: bool
  max_rate: float | None

  def kl(self, params: jax.Array, prior: jax.Array | None = None) -> jax.Array:
    """KL(q || prior) in nats: params [B, *param_shape] -> [B]; `prior`:
    learned prior parameters [*param_shape], None for the fixed prior."""

  def relaxed_sample(self, rng: jax.Array, params: jax.Array,
                     tau: jax.Array | float, hard: bool) -> jax.Array:
    """A differentiable sample for training: [B, *sample_shape]."""

  def sample(self, rng: jax.Array, params: jax.Array) -> jax.Array:
    """An exact sample of q for generation: [B, *sample_shape]."""

  def mode(self, params: jax.Array) -> jax.Array:
    """The most likely value of q: [B, *sample_shape]."""

  def sample_prior(self, rng: jax.Array, batch: int,
                   prior: jax.Array | None = None) -> jax.Array:
    """Samples of the prior (the learned one if given): [batch, *sample_shape]."""


_FAMILY_MEMBERS = ('param_shape', 'sample_shape', 'is_empty', 'max_rate', 'kl',
                   'relaxed_sample', 'sample', 'mode', 'sample_prior')


def check_family(name: str, family) -> None:
  """Refuses anything but a latent family object: the class itself, a size
  tuple, or an object without the `LatentFamily` members (ArgumentTypeError
  naming `name`)."""
  use = (f'use an instance, e.g. {name}=wyner_jax.Categorical(N, K) or '
         f'{name}=wyner_jax.Gaussian(D)')
  if isinstance(family, type):
    raise ArgumentTypeError(f'{name}={family.__name__} is a class, not a latent '
                            f'family; {use}')
  missing = [m for m in _FAMILY_MEMBERS if not hasattr(family, m)]
  if missing:
    raise ArgumentTypeError(f'{name}={family!r} is not a latent family (it has '
                            f'no {missing[0]}); {use}')


def _is_int(value) -> bool:
  """A Python or NumPy int, not a bool."""
  return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_params(name: str, params: jax.Array, family: 'LatentFamily') -> None:
  """Refuses `params` unless they are [B, *family.param_shape] (ShapeError
  naming `name`, its shape and the expected one)."""
  contracts.check_trailing(name, params, family.param_shape,
                           f'the parameters of {family}')


def check_prior(prior: jax.Array, family: 'LatentFamily') -> None:
  """Refuses a learned prior unless it is [*family.param_shape] (no batch axis)."""
  if tuple(prior.shape) != tuple(family.param_shape):
    raise contracts.ShapeError(
        f'prior has shape {tuple(prior.shape)}; expected '
        f'{tuple(family.param_shape)}, the parameters of {family} for one '
        'example (a learned prior has no batch axis)')


@dataclasses.dataclass(frozen=True)
class Categorical:
  """N independent K-class categoricals with a uniform prior (`LatentFamily`).

  params: logits [B, N, K]; samples: one-hots [B, N, K], relaxed with the
  Gumbel-softmax in training, exact in generation. Every method refuses
  parameters of another shape.

  Attributes:
    n: N >= 1 categoricals (0 with k = 0: no latent).
    k: K >= 2 classes each.
  """
  n: int
  k: int

  def __post_init__(self):
    if (not all(map(_is_int, (self.n, self.k)))
        or not ((self.n, self.k) == (0, 0) or (self.n >= 1 and self.k >= 2))):
      raise ArgumentError(f'Categorical(n={self.n!r}, k={self.k!r}) is not allowed; '
                          'use ints n >= 1 and k >= 2, or (0, 0) for no latent')
    # NumPy ints are ints here; stored as Python ints, so that equal
    # families are one static argument of jax.jit.
    object.__setattr__(self, 'n', int(self.n))
    object.__setattr__(self, 'k', int(self.k))

  @property
  def param_shape(self) -> tuple[int, int]:
    return (self.n, self.k)

  @property
  def sample_shape(self) -> tuple[int, int]:
    return (self.n, self.k)

  @property
  def is_empty(self) -> bool:
    return self.n == 0

  @property
  def max_rate(self) -> float:
    return self.n * math.log(max(self.k, 1))

  def kl(self, params: jax.Array, prior: jax.Array | None = None) -> jax.Array:
    """KL(q || p) [B] of logits [B, N, K]: p uniform (`kl_to_uniform`), or
    the softmax of learned prior logits [N, K] (`kl_categorical`)."""
    check_params('params', params, self)
    if prior is None:
      return kl_to_uniform(params)
    check_prior(prior, self)
    return kl_categorical(params, prior)

  def relaxed_sample(self, rng: jax.Array, params: jax.Array,
                     tau: jax.Array | float, hard: bool) -> jax.Array:
    check_params('params', params, self)
    return gumbel_softmax(rng, params, tau, hard)

  def sample(self, rng: jax.Array, params: jax.Array) -> jax.Array:
    check_params('params', params, self)
    return sample_one_hot(rng, params)

  def mode(self, params: jax.Array) -> jax.Array:
    check_params('params', params, self)
    return mode_one_hot(params)

  def sample_prior(self, rng: jax.Array, batch: int,
                   prior: jax.Array | None = None) -> jax.Array:
    contracts.check_count('batch', batch)
    if prior is None:
      return sample_one_hot(rng, jnp.zeros((batch, self.n, self.k), jnp.float32))
    check_prior(prior, self)
    return sample_one_hot(rng, jnp.broadcast_to(prior, (batch, self.n, self.k)))


@dataclasses.dataclass(frozen=True)
class Gaussian:
  """`dim` independent dimensions with a N(0, I) prior (`LatentFamily`).

  params: [B, dim, 2], [..., 0] the mean and [..., 1] the log-variance of the
  diagonal Gaussian q; samples: [B, dim]. There is nothing to relax: training
  and generation both draw reparameterized samples (`tau` and `hard` are
  ignored), and the mode is the mean. Every method refuses parameters of
  another shape.

  Attributes:
    dim: D >= 1 dimensions (0: no latent).
  """
  dim: int

  def __post_init__(self):
    if not _is_int(self.dim) or self.dim < 0:
      raise ArgumentError(f'Gaussian(dim={self.dim!r}) is not allowed; use an int '
                          '>= 1, or 0 for no latent')
    object.__setattr__(self, 'dim', int(self.dim))

  @property
  def param_shape(self) -> tuple[int, int]:
    return (self.dim, 2)

  @property
  def sample_shape(self) -> tuple[int]:
    return (self.dim,)

  @property
  def is_empty(self) -> bool:
    return self.dim == 0

  @property
  def max_rate(self) -> None:
    return None

  def kl(self, params: jax.Array, prior: jax.Array | None = None) -> jax.Array:
    """KL(q || p) [B] of params [B, D, 2]: p = N(0, I)
    (`gaussian_kl_to_standard`), or a learned mean and log-variance [D, 2]
    (`gaussian_kl`)."""
    check_params('params', params, self)
    if prior is None:
      return gaussian_kl_to_standard(params[..., 0], params[..., 1])
    check_prior(prior, self)
    return gaussian_kl(params[..., 0], params[..., 1], prior[..., 0], prior[..., 1])

  def relaxed_sample(self, rng: jax.Array, params: jax.Array,
                     tau: jax.Array | float, hard: bool) -> jax.Array:
    del tau, hard  # a Gaussian sample is already differentiable
    return self.sample(rng, params)

  def sample(self, rng: jax.Array, params: jax.Array) -> jax.Array:
    check_params('params', params, self)
    return gaussian_sample(rng, params[..., 0], params[..., 1])

  def mode(self, params: jax.Array) -> jax.Array:
    check_params('params', params, self)
    return params[..., 0].astype(compute_dtype(params))

  def sample_prior(self, rng: jax.Array, batch: int,
                   prior: jax.Array | None = None) -> jax.Array:
    contracts.check_count('batch', batch)
    if prior is None:
      return jax.random.normal(rng, (batch, self.dim), jnp.float32)
    check_prior(prior, self)
    return gaussian_sample(rng, jnp.broadcast_to(prior[..., 0], (batch, self.dim)),
                           jnp.broadcast_to(prior[..., 1], (batch, self.dim)))


LATENT_TYPES = ('categorical', 'gaussian')


def latent_family(latent_type: str, size: tuple[int, ...]) -> LatentFamily:
  """The family of a configured latent: ('categorical', (N, K)) or ('gaussian', (D,))."""
  if latent_type == 'categorical':
    return Categorical(*size)
  if latent_type == 'gaussian':
    return Gaussian(*size)
  raise ArgumentError(f'latent_type={latent_type!r} is not allowed; allowed: '
                   f'{", ".join(LATENT_TYPES)}')
