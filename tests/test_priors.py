"""Learned priors p_theta (model.prior='learned'): closed forms, where their
gradient takes them, and how the two training steps treat them."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import wyner_jax
from experiments import config_checks
from tests import test_train
from tests.test_train import (init_state, make_step, run_steps, tiny_config,
                              tiny_variant)
from conftest import mnist_model, wyner_phases
from wyner_jax import contracts, latents, phases


def _tiny_phases():
  config = tiny_config()
  return wyner_phases(config, mnist_model(config))


def joint_step_params(params):
  return _tiny_phases()['joint'].initial(params)


def marginal_step_constants(params):
  return _tiny_phases()['marginal'].frozen(params)


def test_zero_prior_logits_are_the_uniform_prior():
  logits = jax.random.normal(jax.random.key(0), (6, 2, 5)) * 3
  family = wyner_jax.Categorical(2, 5)
  np.testing.assert_allclose(family.kl(logits, jnp.zeros((2, 5))),
                             latents.kl_to_uniform(logits), rtol=1e-6, atol=1e-6)


def test_categorical_kl_to_a_learned_prior_in_closed_form():
  q, p = np.array([0.5, 0.3, 0.2]), np.array([0.1, 0.6, 0.3])
  expected = np.sum(q * np.log(q / p))
  kl = latents.kl_categorical(jnp.log(q)[None, None], jnp.log(p)[None] + 7.0)
  np.testing.assert_allclose(kl, [expected], rtol=1e-6)
  # q equal to the prior: zero
  np.testing.assert_allclose(
      latents.kl_categorical(jnp.log(p)[None, None], jnp.log(p)[None]), [0.0],
      atol=1e-7)


def test_gaussian_kl_to_a_learned_prior_in_closed_form():
  m, v, m2, v2 = 0.3, 0.5, -1.0, 2.0
  expected = 0.5 * (np.log(v2 / v) + (v + (m - m2) ** 2) / v2 - 1.0)
  family = wyner_jax.Gaussian(1)
  params = jnp.array([[[m, np.log(v)]]])
  prior = jnp.array([[m2, np.log(v2)]])
  np.testing.assert_allclose(family.kl(params, prior), [expected], rtol=1e-6)
  np.testing.assert_allclose(family.kl(params, jnp.zeros((1, 2))),
                             family.kl(params), rtol=1e-6)


def test_samples_of_a_learned_prior_follow_it():
  probs = np.array([0.7, 0.2, 0.1])
  samples = wyner_jax.Categorical(1, 3).sample_prior(
      jax.random.key(0), 20000, jnp.log(probs)[None])
  np.testing.assert_allclose(np.mean(samples, axis=0)[0], probs, atol=0.01)
  prior = jnp.array([[2.0, np.log(0.25)]])  # mean 2, std 0.5
  draws = wyner_jax.Gaussian(1).sample_prior(jax.random.key(1), 20000, prior)
  assert abs(float(jnp.mean(draws)) - 2.0) < 0.02
  assert abs(float(jnp.std(draws)) - 0.5) < 0.02


def test_a_prior_of_another_shape_is_refused():
  with pytest.raises(contracts.ShapeError, match=r'prior has shape \(4, 2, 5\)'):
    wyner_jax.Categorical(2, 5).kl(jnp.zeros((4, 2, 5)), jnp.zeros((4, 2, 5)))
  with pytest.raises(contracts.ShapeError, match='no batch axis'):
    wyner_jax.Gaussian(3).sample_prior(jax.random.key(0), 2, jnp.zeros((3,)))


def test_the_kl_gradient_takes_a_learned_prior_to_the_aggregate_posterior():
  """argmin_p mean_b KL(q_b || p) = mean_b q_b: what p_theta learns in step 1."""
  logits = jax.random.normal(jax.random.key(0), (64, 1, 6)) * 2
  family = wyner_jax.Categorical(1, 6)
  loss = lambda prior: jnp.mean(family.kl(logits, prior))
  optimizer = optax.adam(0.05)
  prior = jnp.zeros((1, 6))
  state = optimizer.init(prior)
  for _ in range(600):
    updates, state = optimizer.update(jax.grad(loss)(prior), state)
    prior = optax.apply_updates(prior, updates)
  aggregate = jnp.mean(jax.nn.softmax(logits, -1), axis=0)
  np.testing.assert_allclose(jax.nn.softmax(prior, -1), aggregate, atol=2e-3)


pairs = test_train.pairs  # the same module-scoped fixture


def test_learned_priors_start_uniform_learn_in_step_one_and_stay_in_step_two(pairs):
  config, mesh, model, uniform, params, batch = tiny_variant(pairs,
                                                              prior='learned')
  assert set(params['priors']) == {'z', 'u', 'v'}
  x, y = jnp.asarray(batch.images_x), jnp.asarray(batch.images_y)
  inputs = phases.Batch(x, y, jax.random.key(2), 0.7, 1.0)
  step_one = joint_step_params(params)
  # At zeros the learned model's loss is the uniform model's, bitwise.
  learned_loss = phases.joint_loss_fn(model, False, 0.1)(step_one, inputs)[0]
  uniform_loss = phases.joint_loss_fn(uniform, False, 0.1)(
      {k: v for k, v in step_one.items() if k != 'priors'}, inputs)[0]
  assert float(learned_loss) == float(uniform_loss)

  state = init_state([step_one], config, mesh)
  state, _ = run_steps(make_step(phases.joint_loss_fn(model, False, 0.1), config,
                                 mesh), state, None, batch, 30)
  learned = jax.tree.map(np.asarray, state.params['priors'])
  assert np.abs(learned['z']).max() > 1e-3  # step 1 moved them
  frozen = marginal_step_constants(state.params)
  before = jax.tree.map(np.array, frozen)
  marginal = init_state([{'marginal': params['marginal']}], config, mesh)
  marginal, marginal_losses = run_steps(
      make_step(phases.marginal_loss_fn(model, False, 0.1), config, mesh),
      marginal, frozen, batch, 30)
  assert marginal_losses[-1] < marginal_losses[0]
  jax.tree.map(np.testing.assert_array_equal, before,
               jax.tree.map(np.array, frozen))

  # Joint samples draw z from the learned prior: a prior that puts all mass
  # on one code gives the same z to every pair, so x varies only with u.
  first = lambda tree: jax.tree.map(lambda a: np.asarray(a)[0], tree)
  one = {**first(state.params), 'marginal': first(marginal.params)}
  peaked = dict(one, priors={**one['priors'], 'z': _peaked(10, 3)})
  x_prior, _ = model.joint(peaked, jax.random.key(4), 64)
  z_code = jax.nn.one_hot(jnp.full((64, 1), 3), 10)
  u_all = np.stack([model.decode(one['decoders']['x'],
                                 jax.nn.one_hot(jnp.full((64, 1), k), 10), z_code,
                                 'x')
                    for k in range(10)])  # every u with z = 3
  distance = np.min(np.abs(u_all - np.asarray(x_prior)[None]).max(-1), axis=0)
  assert distance.max() < 1e-5


def test_an_empty_local_latent_has_no_learned_prior(pairs):
  # A zero-size array cannot be checkpointed (Orbax refuses it), and an empty
  # latent's KL is 0 under any prior: it gets none, and is read as fixed.
  _, _, model, _, params, batch = tiny_variant(pairs, prior='learned',
                                               u=(0, 0))
  assert set(params['priors']) == {'z', 'v'}
  assert model.priors(params)['u'] is None
  x, y = jnp.asarray(batch.images_x), jnp.asarray(batch.images_y)
  loss, metrics = phases.joint_loss_fn(model, False, 0.1)(
      joint_step_params(params), phases.Batch(x, y, jax.random.key(2), 0.7, 1.0))
  assert np.isfinite(float(loss)) and float(metrics['kl/u']) == 0.0


def _peaked(num_classes, code):
  logits = np.full((1, num_classes), -50.0, np.float32)
  logits[0, code] = 50.0
  return logits


def test_prior_and_dtype_config_values_are_checked():
  for field, bad, allowed in (('prior', 'lerned', 'uniform, learned'),
                              ('dtype', 'float16', 'float32, bfloat16')):
    config = tiny_config()
    config.model[field] = bad
    with pytest.raises(config_checks.ConfigError,
                       match=f"model.{field}={bad!r}.*{allowed}"):
      config_checks.validate(config)
