"""The public surface: exports, float64 gradients against finite differences,
bfloat16 inputs, jit/vmap/grad compatibility, Gaussian latents."""

import jax
import jax.numpy as jnp
import jax.test_util
import numpy as np
import pytest

import wyner_jax


def test_every_exported_name_exists():
  for name in wyner_jax.__all__:
    assert getattr(wyner_jax, name) is not None, name


def _joint_args(key, dtype, batch=3, dim=5):
  keys = jax.random.split(key, 7)
  logits = [jax.random.normal(k, (batch, 2, 3), dtype) for k in keys[:3]]
  data = [jax.random.uniform(k, (batch, dim), dtype) for k in keys[3:7]]
  return logits + data  # logits z, u, v; x, x_rec, y, y_rec


def test_objective_gradients_match_finite_differences_in_float64():
  with jax.enable_x64(True):
    lz, lu, lv, x, x_rec, y, y_rec = _joint_args(jax.random.key(0), jnp.float64)

    def joint(lz, lu, lv, x_rec, y_rec):
      return wyner_jax.joint_loss(lz, lu, lv, x, x_rec, y, y_rec, 0.7, 0.5)[0]

    def marginal(lz, lu, lv, x_rec, y_rec):
      return wyner_jax.marginal_loss(lz, lu, lz + lv, lv, x, x_rec, y, y_rec,
                                     0.5)[0]

    def gaussian(mean, log_var):
      return jnp.sum(wyner_jax.gaussian_kl_to_standard(mean, log_var))

    def relaxed(logits):  # fixed noise: a smooth function of the logits
      sample = wyner_jax.gumbel_softmax(jax.random.key(3), logits, 0.7)
      return jnp.sum(sample * jnp.arange(3.0))

    args = (lz, lu, lv, x_rec, y_rec)
    assert joint(*args).dtype == jnp.float64
    jax.test_util.check_grads(joint, args, order=1, modes=('rev',))
    jax.test_util.check_grads(marginal, args, order=1, modes=('rev',))
    jax.test_util.check_grads(gaussian, (x, y - 0.5), order=1, modes=('rev',))
    jax.test_util.check_grads(relaxed, (lz,), order=1, modes=('rev',))


def test_bfloat16_inputs_give_the_float32_loss_with_float32_kl():
  args32 = _joint_args(jax.random.key(1), jnp.float32)
  args16 = [a.astype(jnp.bfloat16) for a in args32]
  loss32, m32 = wyner_jax.joint_loss(*args32, 0.5, 1.0)
  loss16, m16 = wyner_jax.joint_loss(*args16, 0.5, 1.0)
  assert m16['kl/z'].dtype == jnp.float32 and loss16.dtype == jnp.float32
  # Only the inputs were rounded to bfloat16 (8 bits of mantissa).
  np.testing.assert_allclose(loss16, loss32, rtol=2e-2)
  kl16 = wyner_jax.kl_to_uniform(jnp.zeros((2, 3, 4), jnp.bfloat16))
  assert kl16.dtype == jnp.float32 and np.all(kl16 == 0.0)
  grads = jax.grad(lambda a: wyner_jax.joint_loss(a, *args16[1:], 0.5, 1.0)[0])(
      args16[0])
  assert grads.dtype == jnp.bfloat16 and np.all(np.isfinite(grads))


def test_objectives_jit_and_vmap_equal_the_plain_call():
  args = _joint_args(jax.random.key(2), jnp.float32)
  plain = wyner_jax.joint_loss(*args, 0.5, 1.0)[0]
  jitted = jax.jit(wyner_jax.joint_loss, static_argnums=8)(*args, 0.5, 1.0)[0]
  np.testing.assert_allclose(jitted, plain, rtol=1e-6)
  # vmap over a leading axis of 4 problems (and over lambda).
  stacked = [jnp.stack([a] * 4) for a in args]
  lams = jnp.array([0.5, 0.5, 0.5, 0.5])
  batched = jax.vmap(lambda *a: wyner_jax.joint_loss(*a[:7], a[7], 1.0)[0])(
      *stacked, lams)
  np.testing.assert_allclose(batched, plain, rtol=1e-6)


@pytest.mark.parametrize('name', ['gumbel_softmax', 'kl_to_uniform',
                                  'sample_one_hot', 'mode_one_hot',
                                  'bound_logits', 'gaussian_sample',
                                  'gaussian_kl_to_standard'])
def test_latent_functions_jit_and_vmap(name):
  fn = getattr(wyner_jax, name)
  logits = jax.random.normal(jax.random.key(4), (4, 3, 2, 5))
  key = jax.random.key(5)
  call = {
      'gumbel_softmax': lambda l: fn(key, l, 0.5),
      'kl_to_uniform': fn,
      'sample_one_hot': lambda l: fn(key, l),
      'mode_one_hot': fn,
      'bound_logits': lambda l: fn(l, 2.0),
      'gaussian_sample': lambda l: fn(key, l, -l),
      'gaussian_kl_to_standard': lambda l: fn(l, -l),
  }[name]
  plain = jnp.stack([call(l) for l in logits])
  np.testing.assert_allclose(jax.jit(jax.vmap(call))(logits), plain,
                             rtol=1e-5, atol=1e-6)


def test_gaussian_kl_closed_form_and_sample_moments():
  zeros = jnp.zeros((2, 6))
  np.testing.assert_array_equal(wyner_jax.gaussian_kl_to_standard(zeros, zeros), 0.0)
  # Mean 1, unit variance: 1/2 per dimension.
  np.testing.assert_allclose(
      wyner_jax.gaussian_kl_to_standard(jnp.ones((2, 6)), zeros), 3.0)
  # Variance e, mean 0: (e - 1 - 1) / 2 per dimension.
  np.testing.assert_allclose(
      wyner_jax.gaussian_kl_to_standard(zeros, jnp.ones((2, 6))),
      6 * (np.e - 2) / 2, rtol=1e-6)
  samples = wyner_jax.gaussian_sample(jax.random.key(6), jnp.full((200000,), 2.0),
                                      jnp.full((200000,), np.log(9.0)))
  assert abs(float(samples.mean()) - 2.0) < 0.03
  assert abs(float(samples.std()) - 3.0) < 0.03
