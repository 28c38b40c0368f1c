"""The public surface: exports, float64 gradients against finite differences,
bfloat16 inputs, jit/vmap/grad compatibility, Gaussian latents."""

import jax
import jax.numpy as jnp
import jax.test_util
import numpy as np
import pytest

import wyner_jax


def test_every_exported_name_exists_and_documents_its_arguments():
  for name in wyner_jax.__all__:
    assert getattr(wyner_jax, name) is not None, name
    if name != '__version__':  # Google style: an Args or Attributes section
      doc = getattr(wyner_jax, name).__doc__
      assert 'Args:' in doc or 'Attributes:' in doc, name


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


# Sampling procedures over caller callables. An "identity" decoder returns its
# flattened inputs, so the outputs show exactly which latents were drawn.

def identity_decode(local, z):
  flat = lambda a: a.reshape(a.shape[0], -1)
  return jnp.concatenate([flat(local), flat(z)], -1)


def test_conditional_samples_draw_z_from_the_encoder_and_local_from_the_prior():
  z, v = wyner_jax.Categorical(1, 3), wyner_jax.Categorical(2, 4)
  logits = jnp.log(jnp.array([[[0.7, 0.2, 0.1]], [[0.1, 0.1, 0.8]]]))
  encode_z = lambda condition: logits[condition[:, 0]]  # condition: an index
  condition = jnp.array([[0], [1]])
  out = wyner_jax.generate_conditional(jax.random.key(0), condition, 20000,
                                       encode_z, identity_decode, z=z, local=v)
  assert out.shape == (2, 20000, 8 + 3)
  z_part, v_part = out[..., 8:], out[..., :8].reshape(2, 20000, 2, 4)
  # z follows q(z|condition); v is uniform over its 4 classes.
  np.testing.assert_allclose(z_part.mean(1), jnp.exp(logits[:, 0]), atol=0.015)
  np.testing.assert_allclose(v_part.mean((0, 1)), 0.25, atol=0.01)
  # z_mode: every sample of a condition has the mode of q(z|condition).
  modes = wyner_jax.generate_conditional(jax.random.key(1), condition, 5,
                                         encode_z, identity_decode, z=z, local=v,
                                         z_mode=True)[..., 8:]
  np.testing.assert_array_equal(modes[0], jnp.tile(jnp.eye(3)[0], (5, 1)))
  np.testing.assert_array_equal(modes[1], jnp.tile(jnp.eye(3)[2], (5, 1)))


def test_style_transfer_grid_rows_keep_style_columns_keep_concept():
  u, z = wyner_jax.Gaussian(2), wyner_jax.Categorical(1, 5)
  encode_u = lambda x: jnp.stack([x[:, :2], jnp.full_like(x[:, :2], -20.0)], -1)
  encode_z = lambda y: 10.0 * y[:, None, :5]  # nearly deterministic one-hot
  x_style = jax.random.normal(jax.random.key(2), (3, 4))
  y_concept = jnp.eye(5)[:4] * 3.0
  key = jax.random.key(3)
  grid = wyner_jax.transfer_style(key, x_style, y_concept, encode_u, encode_z,
                                  identity_decode, z=z, u=u)
  assert grid.shape == (3, 4, 2 + 5)
  for i in range(3):  # row i: the style of x_style[i] (std e^-10: its mean)
    np.testing.assert_allclose(grid[i, :, :2], jnp.tile(x_style[i, :2], (4, 1)),
                               atol=1e-3)
  for j in range(4):  # column j: the concept of y_concept[j]
    np.testing.assert_array_equal(grid[:, j, 2:], jnp.tile(jnp.eye(5)[j], (3, 1)))
  # The element-wise form is the grid's diagonal for the same key.
  pairs = wyner_jax.transfer_style(key, x_style, y_concept[:3], encode_u,
                                   encode_z, identity_decode, z=z, u=u, grid=False)
  np.testing.assert_array_equal(pairs, grid[jnp.arange(3), jnp.arange(3)])
  with pytest.raises(ValueError, match='3 styles and 4 concepts'):
    wyner_jax.transfer_style(key, x_style, y_concept, encode_u, encode_z,
                             identity_decode, z=z, u=u, grid=False)


def test_joint_samples_share_z_and_follow_the_priors():
  z, u, v = wyner_jax.Gaussian(3), wyner_jax.Gaussian(2), wyner_jax.Gaussian(0)
  x, y = wyner_jax.generate_joint(jax.random.key(4), 50000, identity_decode,
                                  identity_decode, z=z, u=u, v=v)
  assert x.shape == (50000, 5) and y.shape == (50000, 3)
  np.testing.assert_array_equal(x[:, 2:], y)  # one z for both sides
  np.testing.assert_allclose(x.mean(0), 0.0, atol=0.02)
  np.testing.assert_allclose(x.std(0), 1.0, atol=0.02)


def test_sampling_procedures_jit_and_vmap():
  z, local = wyner_jax.Categorical(2, 3), wyner_jax.Gaussian(2)
  weights = jax.random.normal(jax.random.key(5), (4, 6))
  encode_z = lambda c: (c @ weights).reshape(-1, 2, 3)

  def conditional(key, condition):
    return wyner_jax.generate_conditional(key, condition, 3, encode_z,
                                          identity_decode, z=z, local=local)

  keys = jax.random.split(jax.random.key(6), 5)
  conditions = jax.random.normal(jax.random.key(7), (5, 2, 4))
  plain = jnp.stack([conditional(k, c) for k, c in zip(keys, conditions)])
  np.testing.assert_array_equal(jax.jit(jax.vmap(conditional))(keys, conditions),
                                plain)


def test_gaussian_family_in_the_objective_gradients_match_finite_differences():
  with jax.enable_x64(True):
    keys = jax.random.split(jax.random.key(8), 7)
    stats = [jax.random.normal(k, (3, 4, 2), jnp.float64) for k in keys[:3]]
    x, x_rec, y, y_rec = (jax.random.uniform(k, (3, 5), jnp.float64)
                          for k in keys[3:])
    gaussian = wyner_jax.Gaussian(4)

    def joint(sz, su, sv, x_rec, y_rec):
      return wyner_jax.joint_loss(sz, su, sv, x, x_rec, y, y_rec, 0.7, 0.5, z=gaussian,
                                  u=gaussian, v=gaussian)[0]

    loss = joint(*stats, x_rec, y_rec)
    by_hand = (1.7 * jnp.mean(wyner_jax.gaussian_kl_to_standard(
        stats[0][..., 0], stats[0][..., 1]))
               + sum(jnp.mean(wyner_jax.gaussian_kl_to_standard(
                   s[..., 0], s[..., 1])) for s in stats[1:])
               + (jnp.mean(jnp.sum((x - x_rec) ** 2, -1))
                  + jnp.mean(jnp.sum((y - y_rec) ** 2, -1))) / 0.5)
    np.testing.assert_allclose(loss, by_hand, rtol=1e-12)
    jax.test_util.check_grads(joint, (*stats, x_rec, y_rec), order=1,
                              modes=('rev',))
