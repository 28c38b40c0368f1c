"""Gumbel-softmax sampling, the analytic KL and the temperature schedule."""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from wyner_jax import latents


def test_kl_matches_brute_force_sum():
  logits = jax.random.normal(jax.random.key(0), (3, 2, 4)) * 2.0
  q = np.asarray(jax.nn.softmax(logits, axis=-1), np.float64)
  # Brute force over the joint of the N=2 categoricals: sum_{a,b} q(a,b) log(q(a,b) / p(a,b)).
  expected = np.zeros(3)
  for a, b in itertools.product(range(4), range(4)):
    joint = q[:, 0, a] * q[:, 1, b]
    expected += joint * np.log(joint / (1 / 16))
  np.testing.assert_allclose(latents.kl_to_uniform(logits), expected, rtol=1e-5)


def test_kl_is_exactly_zero_at_uniform_and_for_empty_latents():
  assert np.all(np.asarray(latents.kl_to_uniform(jnp.zeros((5, 3, 7)))) == 0.0)
  assert np.all(np.asarray(latents.kl_to_uniform(jnp.zeros((5, 0, 0)))) == 0.0)


def test_kl_of_a_one_hot_is_log_k_per_categorical():
  logits = jnp.array([[[1e4, 0.0, 0.0, 0.0]] * 3])  # N=3, K=4, deterministic
  np.testing.assert_allclose(latents.kl_to_uniform(logits), [3 * math.log(4)],
                             rtol=1e-6)


@pytest.mark.parametrize('hard', [False, True])
@pytest.mark.parametrize('k', [2, 10, 1000])
def test_extreme_logits_and_low_temperature_stay_finite(k, hard):
  logits = jnp.where(jnp.arange(k) % 2 == 0, 1e4, -1e4)[None, None].repeat(4, 0)
  sample = latents.gumbel_softmax(jax.random.key(1), logits, 1e-3, hard)
  grad = jax.grad(lambda l: jnp.sum(latents.gumbel_softmax(
      jax.random.key(1), l, 1e-3, hard) ** 2) + jnp.sum(latents.kl_to_uniform(l)))(logits)
  assert np.all(np.isfinite(sample)) and np.all(np.isfinite(grad))
  assert np.all(np.isfinite(latents.kl_to_uniform(logits)))


def test_relaxed_rows_sum_to_one():
  logits = jax.random.normal(jax.random.key(0), (16, 3, 10))
  sample = latents.gumbel_softmax(jax.random.key(1), logits, 0.5)
  np.testing.assert_allclose(jnp.sum(sample, -1), 1.0, rtol=1e-5)
  assert np.all(np.asarray(sample) >= 0)


def test_hard_samples_are_one_hot_per_row_and_pass_gradients():
  logits = jax.random.normal(jax.random.key(0), (16, 3, 10))
  sample = latents.gumbel_softmax(jax.random.key(1), logits, 0.5, hard=True)
  values = np.asarray(sample)
  assert set(np.unique(values)) <= {0.0, 1.0}
  np.testing.assert_array_equal(values.sum(-1), 1.0)
  # Rows differ across the batch (not one shared one-hot).
  assert len({tuple(r) for r in values[:, 0]}) > 1
  weights = jax.random.normal(jax.random.key(2), (16, 3, 10))
  grad = jax.grad(lambda l: jnp.sum(weights * latents.gumbel_softmax(
      jax.random.key(1), l, 0.5, hard=True)))(logits)
  assert np.all(np.isfinite(grad)) and np.abs(np.asarray(grad)).sum() > 0


def test_argmax_of_relaxed_samples_follows_the_categorical():
  # argmax((l + g) / tau) = argmax(l + g): the Gumbel-max trick, exact for any tau.
  probs = np.array([0.5, 0.3, 0.15, 0.05])
  num = 40_000
  logits = jnp.broadcast_to(jnp.log(jnp.asarray(probs)), (num, 1, 4))
  sample = latents.gumbel_softmax(jax.random.key(3), logits, 0.7)
  freq = np.bincount(np.asarray(jnp.argmax(sample, -1)).ravel(), minlength=4) / num
  # 5 standard errors of a frequency at n = 40,000 is at most 0.0125.
  np.testing.assert_allclose(freq, probs, atol=0.0125)


def test_exact_one_hot_samples_follow_the_categorical():
  probs = np.array([0.6, 0.3, 0.1])
  logits = jnp.broadcast_to(jnp.log(jnp.asarray(probs)), (40_000, 1, 3))
  sample = np.asarray(latents.sample_one_hot(jax.random.key(4), logits))
  np.testing.assert_array_equal(sample.sum(-1), 1.0)
  np.testing.assert_allclose(sample.mean((0, 1)), probs, atol=0.0125)


def test_temperature_schedule_decays_to_its_floor():
  taus = np.asarray(latents.temperature(jnp.arange(0, 10_000, 1000), 1.0, 0.5, 5e-4))
  assert taus[0] == 1.0 and taus[-1] == 0.5
  assert np.all(np.diff(taus) <= 0)
  np.testing.assert_allclose(taus[1], math.exp(-0.5), rtol=1e-6)


def test_bound_logits_soft_clips_and_zero_disables():
  logits = jnp.array([-1e4, -1.0, 0.0, 1.0, 1e4])
  bounded = np.asarray(latents.bound_logits(logits, 5.0))
  assert np.all(np.abs(bounded) <= 5.0)
  np.testing.assert_allclose(bounded[2], 0.0)
  np.testing.assert_allclose(bounded[3], 5 * math.tanh(0.2), rtol=1e-6)
  assert latents.bound_logits(logits, 0.0) is logits


def test_absent_latents_sample_to_empty_arrays():
  empty = jnp.zeros((4, 0, 0))
  for sample in (latents.gumbel_softmax(jax.random.key(0), empty, 0.5, hard=True),
                 latents.sample_one_hot(jax.random.key(0), empty),
                 latents.mode_one_hot(empty),
                 latents.sample_prior(jax.random.key(0), 4, (0, 0))):
    assert sample.shape == (4, 0, 0)


def _brute_force_kl(q: np.ndarray, p: np.ndarray) -> float:
  """sum over the classes q puts mass on of q log(q / p), in float64."""
  kept = q > 0
  return float(np.sum(q[kept] * np.log(q[kept] / p[kept])))


def test_a_masked_class_gives_the_finite_kl_and_gradient():
  """A logit of -inf (a masked class) adds 0 to the KL; its limit is finite."""
  logits = np.array([[[0.3, -np.inf, 1.0, 2.0], [-np.inf, -np.inf, 0.5, -1.0]]],
                    np.float32)
  q = np.exp(logits.astype(np.float64))
  q /= q.sum(-1, keepdims=True)
  uniform = np.full(4, 0.25)
  expected = sum(_brute_force_kl(row, uniform) for row in q[0])
  np.testing.assert_allclose(latents.kl_to_uniform(jnp.asarray(logits)),
                             [expected], rtol=1e-6)
  prior_logits = np.array([[0.0, 1.0, -1.0, 0.5], [2.0, 0.0, 0.0, -1.0]], np.float32)
  p = np.exp(prior_logits.astype(np.float64))
  p /= p.sum(-1, keepdims=True)
  expected = sum(_brute_force_kl(q[0, n], p[n]) for n in range(2))
  np.testing.assert_allclose(
      latents.kl_categorical(jnp.asarray(logits), jnp.asarray(prior_logits)),
      [expected], rtol=1e-6)
  for kl in (lambda l: latents.kl_to_uniform(l).sum(),
             lambda l: latents.kl_categorical(l, jnp.asarray(prior_logits)).sum()):
    gradient = jax.grad(kl)(jnp.asarray(logits))
    assert np.isfinite(gradient).all()
    np.testing.assert_array_equal(gradient[np.isinf(logits)], 0.0)


def test_a_class_the_prior_masks_but_q_does_not_has_an_infinite_kl():
  prior_logits = jnp.asarray([[0.0, -jnp.inf, 0.0]])
  assert latents.kl_categorical(jnp.zeros((1, 1, 3)), prior_logits)[0] == np.inf
  masked_alike = jnp.asarray([[[1.0, -jnp.inf, 0.0]]])
  expected = _brute_force_kl(np.array([np.e, 0, 1]) / (np.e + 1), np.array([0.5, 0, 0.5]))
  np.testing.assert_allclose(latents.kl_categorical(masked_alike, prior_logits),
                             [expected], rtol=1e-6)


def test_finite_logits_give_the_kl_and_gradient_of_the_plain_formula():
  """Handling -inf changes finite logits' KL not at all, their gradient
  at most in the last bits (XLA's rounding of another program)."""
  def plain(logits):
    log_q = jax.nn.log_softmax(logits, axis=-1)
    log_k = jnp.log(jnp.asarray(logits.shape[-1], jnp.float32))
    return jnp.sum(jnp.exp(log_q) * (log_q + log_k), axis=(-2, -1))
  logits = jax.random.normal(jax.random.key(0), (128, 2, 10)) * 3
  np.testing.assert_array_equal(jax.jit(plain)(logits),
                                jax.jit(latents.kl_to_uniform)(logits))
  np.testing.assert_allclose(
      jax.jit(jax.grad(lambda l: plain(l).mean()))(logits),
      jax.jit(jax.grad(lambda l: latents.kl_to_uniform(l).mean()))(logits),
      rtol=1e-6, atol=1e-8)
