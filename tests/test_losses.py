"""The step-1 and step-2 objectives against hand-computed values."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

from configs import synthetic
from wyner_jax import kinds, latents, losses


def test_joint_loss_hand_computed():
  # One pair; Z is N=1, K=2 with q = (e/(e+1), 1/(e+1)); U uniform; V absent.
  logits_z = jnp.array([[[1.0, 0.0]]])
  logits_u = jnp.zeros((1, 1, 3))
  logits_v = jnp.zeros((1, 0, 0))
  x, x_rec = jnp.array([[1.0, 0.0]]), jnp.array([[0.5, 0.5]])  # ||.||^2 = 0.5
  y, y_rec = jnp.array([[0.0, 0.0]]), jnp.array([[0.0, 1.0]])  # ||.||^2 = 1
  q1 = math.e / (math.e + 1)
  kl_z = q1 * math.log(2 * q1) + (1 - q1) * math.log(2 * (1 - q1))
  lam, two_eps_sq = 0.5, 0.1
  loss, metrics = losses.joint_loss(logits_z, logits_u, logits_v, x, x_rec, y,
                                    y_rec, lam, two_eps_sq,
                                    z=latents.Categorical(1, 2))
  expected = 1.5 * kl_z + 0.0 + 0.0 + (0.5 + 1.0) / 0.1
  np.testing.assert_allclose(loss, expected, rtol=1e-6)
  np.testing.assert_allclose(metrics['kl/z'], kl_z, rtol=1e-6)
  assert metrics['kl/u'] == 0.0 and metrics['kl/v'] == 0.0
  np.testing.assert_allclose(metrics['rec/x'], 0.5)
  np.testing.assert_allclose(metrics['rec/y'], 1.0)


def _random_joint_inputs(seed=0):
  rng = np.random.default_rng(seed)
  shapes = [(4, 2, 5), (4, 1, 3), (4, 2, 3), (4, 6), (4, 6), (4, 6), (4, 6)]
  return [jnp.asarray(rng.normal(size=s), jnp.float32) for s in shapes]


def test_lambda_changes_only_the_z_term():
  args = _random_joint_inputs()
  loss0, m0 = losses.joint_loss(*args, lam=0.0, two_eps_sq=1e-2)
  loss3, m3 = losses.joint_loss(*args, lam=3.0, two_eps_sq=1e-2)
  for name in ('kl/z', 'kl/u', 'kl/v', 'rec/x', 'rec/y'):
    assert m0[name] == m3[name]
  np.testing.assert_allclose(loss3, loss0 + 3.0 * m0['kl/z'], rtol=1e-6)


def test_reduction_is_sum_over_dims_mean_over_batch():
  x = jnp.ones((2, 3))
  x_rec = jnp.array([[0.0, 0.0, 0.0], [1.0, 1.0, 0.0]])  # errors 3 and 1
  empty = jnp.zeros((2, 0, 0))
  loss, metrics = losses.marginal_side_loss(jnp.zeros((2, 1, 4)), empty, x,
                                            x_rec, two_eps_sq=2.0)
  np.testing.assert_allclose(metrics['rec'], 2.0)
  np.testing.assert_allclose(loss, 1.0)  # KLs are zero at uniform logits


def test_marginal_loss_is_the_sum_of_both_sides():
  rng = np.random.default_rng(1)
  lz_x, lu, lz_y, lv = (jnp.asarray(rng.normal(size=(3, 2, 4))) for _ in range(4))
  x, x_rec, y, y_rec = (jnp.asarray(rng.random((3, 5))) for _ in range(4))
  loss, m = losses.marginal_loss(lz_x, lu, lz_y, lv, x, x_rec, y, y_rec, 0.5)
  lx, _ = losses.marginal_side_loss(lz_x, lu, x, x_rec, 0.5)
  ly, _ = losses.marginal_side_loss(lz_y, lv, y, y_rec, 0.5)
  np.testing.assert_allclose(loss, lx + ly, rtol=1e-6)
  np.testing.assert_allclose(m['kl/z'], m['kl/z_x'] + m['kl/z_y'], rtol=1e-6)


def test_aggregate_kl_is_zero_information_part_of_the_rate():
  # Every pair on the same one-hot: the largest rate, all of it aggregate KL.
  same = jnp.full((6, 2, 10), -50.0).at[..., 3].set(50.0)
  np.testing.assert_allclose(latents.aggregate_kl_to_uniform(same),
                             2 * math.log(10), rtol=1e-6)
  # Half the pairs on code 0, half on code 1 (one categorical of K = 4):
  # q_bar = (1/2, 1/2, 0, 0), KL = log 4 - log 2, although each q is a one-hot.
  split = jnp.full((6, 1, 4), -50.0)
  split = split.at[:3, 0, 0].set(50.0).at[3:, 0, 1].set(50.0)
  np.testing.assert_allclose(latents.aggregate_kl_to_uniform(split),
                             math.log(2), rtol=1e-6)
  # Codes spread evenly over the batch: no aggregate KL, whatever the rate.
  even = jnp.full((4, 1, 4), -50.0).at[jnp.arange(4), 0, jnp.arange(4)].set(50.0)
  np.testing.assert_allclose(latents.aggregate_kl_to_uniform(even), 0.0, atol=1e-6)
  assert latents.aggregate_kl_to_uniform(jnp.zeros((6, 0, 0))) == 0.0


def test_posterior_tie_of_categoricals_against_numpy():
  rng = np.random.default_rng(4)
  joint, marginal = rng.normal(size=(2, 5, 3, 4))
  log_q = joint - np.log(np.exp(joint).sum(-1, keepdims=True))
  log_p = marginal - np.log(np.exp(marginal).sum(-1, keepdims=True))
  expected = np.mean(np.sum(np.exp(log_q) * (log_q - log_p), axis=(1, 2)))
  tie = losses.posterior_tie(jnp.asarray(joint, jnp.float32),
                             jnp.asarray(marginal, jnp.float32))
  np.testing.assert_allclose(tie, expected, rtol=1e-5)


def test_posterior_tie_of_gaussians_against_numpy():
  rng = np.random.default_rng(5)
  joint, marginal = rng.normal(size=(2, 6, 8, 2))
  (m_q, lv_q), (m_p, lv_p) = np.moveaxis(joint, -1, 0), np.moveaxis(marginal, -1, 0)
  kl = 0.5 * (lv_p - lv_q + (np.exp(lv_q) + (m_q - m_p) ** 2) / np.exp(lv_p) - 1)
  tie = losses.posterior_tie(jnp.asarray(joint, jnp.float32),
                             jnp.asarray(marginal, jnp.float32),
                             z=latents.Gaussian(8))
  np.testing.assert_allclose(tie, np.mean(kl.sum(-1)), rtol=1e-5)
  same = losses.posterior_tie(jnp.asarray(joint, jnp.float32),
                              jnp.asarray(joint, jnp.float32),
                              z=latents.Gaussian(8))
  np.testing.assert_allclose(same, 0.0, atol=1e-6)


def test_posterior_tie_refuses_mismatched_posteriors():
  from wyner_jax import contracts  # pylint: disable=import-outside-toplevel
  with pytest.raises(contracts.ShapeError, match='params_marginal'):
    losses.posterior_tie(jnp.zeros((4, 1, 10)), jnp.zeros((4, 1, 9)))


def test_two_eps_sq_relative_to_total_variance_is_that_fraction_per_side():
  config = synthetic.default_config()
  config.loss.two_eps_sq, config.loss.y_weight = 2e-3, 4.0
  config.loss.two_eps_sq_unit = 'total_variance'
  resolved = kinds.absolute_likelihood(config, (50.0, 0.5))
  x, y = kinds.likelihood_scales(resolved)
  assert x == pytest.approx(2e-3 * 50.0) and y == pytest.approx(2e-3 * 0.5 / 4)
  assert config.loss.two_eps_sq == 2e-3  # the caller's config is untouched
  # Data c times larger: 2 eps^2 c^2 times, so every squared error / 2 eps^2,
  # and with it the objective's weighing of nats against distortion, stays.
  resolved = kinds.absolute_likelihood(config, (50.0 * 9, 0.5 * 9))
  assert kinds.likelihood_scales(resolved) == pytest.approx((9 * x, 9 * y))
  # Not resolved: no 2 eps^2 to build a loss from; a constant side: none.
  with pytest.raises(ValueError, match='total variances'):
    kinds.likelihood_scales(config)
  assert np.isnan(kinds.likelihood_scales(
      kinds.absolute_likelihood(config, None))[0])
  with pytest.raises(ValueError, match="side y's total variance .* is 0.0"):
    kinds.absolute_likelihood(config, (50.0, 0.0))
  # The contract of a number: one, finite (NaN refused), of any real dtype.
  for bad, message in ((float('inf'), 'inf is not allowed'),
                       (float('nan'), 'nan is not allowed'),
                       (np.ones(2), r'has shape \(2,\); use one number')):
    with pytest.raises(ValueError, match=rf"side x's total variance.*{message}"):
      kinds.absolute_likelihood(config, (bad, 0.5))
  assert kinds.likelihood_scales(kinds.absolute_likelihood(
      config, (jnp.bfloat16(50.0), np.float32(0.5)))) == pytest.approx(
          (2e-3 * 50.0, 2e-3 * 0.5 / 4))
  config.loss.two_eps_sq_unit = 'absolute'
  assert kinds.absolute_likelihood(config, (50.0, 0.5)) is config
