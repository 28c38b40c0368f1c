"""The baselines: each objective against its paper's formula written out by
hand on a tiny case, the closed forms they rest on, the misuses they refuse,
and each kind's training."""


import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from conftest import MNIST, add1_pairs, as_tables, tiny
from experiments.sources import images as image_sets
from wyner_jax import Categorical, Gaussian, WynerError, phases, sharding
from wyner_jax import baselines, stack, train
from wyner_jax.baselines import (cvae_loss, jmvae_loss, mmvae_loss, mvae_loss,
                                 product_of_experts, vcca_private_loss)
from wyner_jax.baselines import mmvae as mmvae_lib
from wyner_jax.contracts import ShapeError

RNG = np.random.default_rng(0)


def logits(*shape):
  return jnp.asarray(RNG.normal(size=shape), jnp.float32)


def gaussian_params(batch, dim):
  return jnp.stack([logits(batch, dim), 0.5 * logits(batch, dim)], -1)


def categorical_kl(q, p):
  """KL of softmax(q) to softmax(p) by hand, [B, N, K] -> [B]."""
  q, p = np.asarray(q, np.float64), np.asarray(p, np.float64)
  lq = q - np.log(np.exp(q).sum(-1, keepdims=True))
  lp = p - np.log(np.exp(p).sum(-1, keepdims=True))
  return (np.exp(lq) * (lq - lp)).sum((-2, -1))


def sq(a, b):
  return ((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2).sum(-1)


def normal_log_density(z, mean, var):
  return (-0.5 * (np.log(2 * np.pi * var) + (z - mean) ** 2 / var)).sum(-1)


def test_product_of_experts_is_the_normalised_product_of_densities():
  e1, e2 = gaussian_params(3, 2), gaussian_params(3, 2)
  out = np.asarray(product_of_experts(e1, e2), np.float64)
  v1, v2 = np.exp(np.asarray(e1[..., 1])), np.exp(np.asarray(e2[..., 1]))
  precision = 1 + 1 / v1 + 1 / v2
  np.testing.assert_allclose(np.exp(-out[..., 1]), precision, rtol=1e-5)
  np.testing.assert_allclose(
      out[..., 0], (e1[..., 0] / v1 + e2[..., 0] / v2) / precision, rtol=1e-5,
      atol=1e-6)
  # log N(z; product) - sum of the factors' log densities is one constant in z.
  zs = np.linspace(-3, 3, 7)[:, None, None] + np.zeros((1, 3, 2))
  gap = (normal_log_density(zs, out[..., 0], np.exp(out[..., 1]))
         - normal_log_density(zs, 0.0, 1.0)
         - normal_log_density(zs, np.asarray(e1[..., 0]), v1)
         - normal_log_density(zs, np.asarray(e2[..., 0]), v2))
  np.testing.assert_allclose(gap - gap[0], 0.0, atol=1e-4)


def test_an_uninformative_expert_leaves_the_prior():
  flat = jnp.stack([jnp.zeros((2, 3)), jnp.full((2, 3), 30.0)], -1)  # var e^30
  np.testing.assert_allclose(product_of_experts(flat), 0.0, atol=1e-6)


def test_jmvae_loss_is_its_formula():
  b, n, k = 4, 2, 5
  pz, px, py = logits(b, n, k), logits(b, n, k), logits(b, n, k)
  x, xr, y, yr = (jnp.asarray(RNG.uniform(size=(b, 6)), jnp.float32)
                  for _ in range(4))
  loss, metrics = jmvae_loss(pz, px, py, x, xr, y, yr, 0.1, z=Categorical(n, k),
                             alpha=0.3)
  kl = categorical_kl(pz, np.zeros((b, n, k)))
  expected = np.mean(kl + (sq(x, xr) + sq(y, yr)) / 0.1
                     + 0.3 * (categorical_kl(pz, px) + categorical_kl(pz, py)))
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
  np.testing.assert_allclose(float(metrics['kl/z_x']),
                             np.mean(categorical_kl(pz, px)), rtol=1e-5)


def test_cvae_loss_is_its_elbo_written_out():
  b = 3
  q, p = gaussian_params(b, 2), gaussian_params(b, 2)
  t, tr = (jnp.asarray(RNG.uniform(size=(b, 5)), jnp.float32) for _ in range(2))
  loss, _ = cvae_loss(q, p, t, tr, 0.2, z=Gaussian(2))
  mq, vq = np.asarray(q[..., 0]), np.exp(np.asarray(q[..., 1]))
  mp, vp = np.asarray(p[..., 0]), np.exp(np.asarray(p[..., 1]))
  kl = 0.5 * (vq / vp + (mq - mp) ** 2 / vp - 1 + np.log(vp / vq)).sum(-1)
  np.testing.assert_allclose(float(loss), np.mean(kl + sq(t, tr) / 0.2),
                             rtol=1e-5)


def test_vcca_private_loss_weighs_both_views_by_mu():
  b, z, u = 3, Categorical(1, 4), Categorical(1, 3)
  zx, zy, pu, pv = logits(b, 1, 4), logits(b, 1, 4), logits(b, 1, 3), logits(b, 1, 3)
  x, y = (jnp.asarray(RNG.uniform(size=(b, 4)), jnp.float32) for _ in range(2))
  recs = [tuple(jnp.asarray(RNG.uniform(size=(b, 4)), jnp.float32)
                for _ in range(2)) for _ in range(2)]
  loss, _ = vcca_private_loss(zx, zy, pu, pv, x, y, recs[0], recs[1], 0.5,
                              z=z, u=u, v=u, mu=0.25)
  prior = lambda a: categorical_kl(a, np.zeros(a.shape))
  term = lambda kl, r: kl + (sq(x, r[0]) + sq(y, r[1])) / 0.5
  expected = np.mean(0.25 * term(prior(zx), recs[0])
                     + 0.75 * term(prior(zy), recs[1]) + prior(pu) + prior(pv))
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_mvae_loss_is_the_subsampled_elbo():
  b, d = 3, 2
  ex, ey = gaussian_params(b, d), gaussian_params(b, d)
  x, y = (jnp.asarray(RNG.uniform(size=(b, 4)), jnp.float32) for _ in range(2))
  r = [jnp.asarray(RNG.uniform(size=(b, 4)), jnp.float32) for _ in range(4)]
  loss, _ = mvae_loss(ex, ey, x, y, (r[0], r[1]), r[2], r[3], 0.5, z=Gaussian(d))

  def kl_standard(params):
    m, v = np.asarray(params[..., 0]), np.exp(np.asarray(params[..., 1]))
    return 0.5 * (v + m ** 2 - 1 - np.log(v)).sum(-1)

  expected = np.mean(
      kl_standard(product_of_experts(ex, ey)) + (sq(x, r[0]) + sq(y, r[1])) / 0.5
      + kl_standard(product_of_experts(ex)) + sq(x, r[2]) / 0.5
      + kl_standard(product_of_experts(ey)) + sq(y, r[3]) / 0.5)
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_mmvae_loss_weighs_each_expert_half_and_uses_the_mixture_density():
  b, d = 4, 2
  ex, ey = gaussian_params(b, d), gaussian_params(b, d)
  zx, zy = logits(b, d), logits(b, d)
  x, y = (jnp.asarray(RNG.uniform(size=(b, 3)), jnp.float32) for _ in range(2))
  rx = tuple(jnp.asarray(RNG.uniform(size=(b, 3)), jnp.float32) for _ in range(2))
  ry = tuple(jnp.asarray(RNG.uniform(size=(b, 3)), jnp.float32) for _ in range(2))
  loss, _ = mmvae_loss(ex, ey, zx, zy, x, y, rx, ry, 0.5, z=Gaussian(d))

  def mixture(z):  # log (q_x(z) + q_y(z)) / 2, brute force
    densities = [np.exp(normal_log_density(np.asarray(z), np.asarray(e[..., 0]),
                                           np.exp(np.asarray(e[..., 1]))))
                 for e in (ex, ey)]
    return np.log((densities[0] + densities[1]) / 2)

  def stratum(z, recs):
    return ((sq(x, recs[0]) + sq(y, recs[1])) / 0.5 + mixture(z)
            - normal_log_density(np.asarray(z), 0.0, 1.0))

  expected = np.mean(0.5 * stratum(zx, rx) + 0.5 * stratum(zy, ry))
  np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
  np.testing.assert_allclose(
      mmvae_lib.mixture_log_density(zx, ex, ey), mixture(zx), rtol=1e-5)


@pytest.mark.parametrize('call, message', [
    (lambda: mvae_loss(*[gaussian_params(2, 2)] * 2, *[jnp.zeros((2, 3))] * 2,
                       (jnp.zeros((2, 3)),) * 2, jnp.zeros((2, 3)),
                       jnp.zeros((2, 3)), 0.1, z=Categorical(2, 2)),
     'needs wyner_jax.Gaussian'),
    (lambda: mmvae_loss(*[gaussian_params(2, 2)] * 2, jnp.zeros((2, 2)),
                        jnp.zeros((2, 2)), *[jnp.zeros((2, 3))] * 2,
                        (jnp.zeros((2, 3)),) * 2, (jnp.zeros((2, 3)),) * 2,
                        0.1, z=Categorical(2, 2)), 'needs wyner_jax.Gaussian'),
    (lambda: jmvae_loss(*[logits(2, 1, 4)] * 3, *[jnp.zeros((2, 3))] * 4, 0.0,
                        z=Categorical(1, 4)), 'two_eps_sq=0.0'),
    (lambda: jmvae_loss(*[logits(2, 1, 4)] * 3, *[jnp.zeros((2, 3))] * 4, 0.1,
                        z=Categorical(1, 4), alpha=-1.0), 'alpha=-1.0'),
    (lambda: vcca_private_loss(*[logits(2, 1, 4)] * 4, *[jnp.zeros((2, 3))] * 2,
                               (jnp.zeros((2, 3)),) * 2, (jnp.zeros((2, 3)),) * 2,
                               0.1, z=Categorical(1, 4), u=Categorical(1, 4),
                               v=Categorical(1, 4), mu=1.5), 'mu=1.5'),
])
def test_objectives_refuse_misuse_with_a_wyner_error(call, message):
  with pytest.raises(WynerError, match=message):
    call()


def test_objectives_refuse_mismatched_shapes():
  with pytest.raises(ShapeError, match='params_prior'):
    cvae_loss(gaussian_params(3, 2), gaussian_params(2, 2), jnp.zeros((3, 4)),
              jnp.zeros((3, 4)), 0.1, z=Gaussian(2))
  with pytest.raises(ShapeError, match='q has shape'):  # wrong family
    cvae_loss(logits(3, 1, 4), logits(3, 1, 4), jnp.zeros((3, 4)),
              jnp.zeros((3, 4)), 0.1, z=Gaussian(2))
  with pytest.raises(ShapeError, match='target'):
    cvae_loss(gaussian_params(3, 2), gaussian_params(3, 2), jnp.zeros((3, 4)),
              jnp.zeros((3, 5)), 0.1, z=Gaussian(2))
  with pytest.raises(ShapeError, match=r'experts\[1\]'):
    product_of_experts(gaussian_params(3, 2), gaussian_params(3, 3))


def test_a_baseline_refuses_a_side_it_does_not_know():
  config = tiny(**{'model.kind': 'mmvae'})
  model = phases.model_from_config(config, MNIST, MNIST)
  with pytest.raises(WynerError, match="given='z'"):
    model.conditional(model.init(jax.random.key(0)), jax.random.key(1),
                      jnp.zeros((2, 784)), 'z', 2)


@pytest.fixture(scope='module')
def batch():
  train_images, _ = image_sets.embedded_mnist(test_per_class=100)
  pairs = add1_pairs(train_images, 40, seed=0)
  mesh = sharding.make_mesh()
  return mesh, sharding.place(as_tables(pairs.x[::12][:32], pairs.y[::12][:32]),
                              sharding.replicated(mesh))


@pytest.mark.parametrize('kind', ['jmvae', 'cvae', 'vcca_private', 'mvae',
                                  'mmvae'])
def test_each_baseline_learns_in_its_one_phase(kind, batch):
  mesh, tables = batch
  config = tiny(**{'model.kind': kind})
  model = phases.model_from_config(config, MNIST, MNIST)
  (phase,) = phases.model_phases(config, model)
  assert phase.num_steps(config) == (config.joint.num_steps
                                     + config.marginal.num_steps)
  # Only a loss that draws relaxed (categorical) samples logs its
  # temperature: the Gaussian experts of MVAE and MMVAE have none.
  assert phase.relaxed == (kind not in ('mvae', 'mmvae'))
  optimizer = optax.adam(config.learning_rate)
  state = train.init_state(
      stack.stack([phase.initial(model.init(jax.random.key(0)))]),
      [stack.ModelSpec(0.0, 0)],
      jax.random.key_data(jax.random.key(1))[None], optimizer, mesh)
  step = train.make_train_step(phase.loss, optimizer, mesh, config.batch_size,
                               config.tau, config.learning_rate, phase.relaxed)
  losses = []
  for _ in range(60):
    state, metrics = step(state, None, tables)
    losses.append(float(metrics['loss'][0]))
  assert ('tau' in metrics) == phase.relaxed
  assert np.all(np.isfinite(losses))
  assert np.mean(losses[-10:]) < 0.6 * losses[0], losses[::10]


@pytest.mark.parametrize('make, name', [
    (lambda: baselines.MVAE(z=(-3,)), 'Gaussian'),
    (lambda: baselines.JMVAE(z=(1, 1)), 'Categorical'),
    (lambda: baselines.MMVAE(z=(20,), x_dim=0), 'x_dim'),
    (lambda: baselines.VCCAPrivate(z=(1, 10), u=(1, 10), v=(1, 10), depth=-1),
     'depth'),
    (lambda: baselines.CVAE(z=(1, 10), latent_type='gausian'), 'latent_type'),
    (lambda: baselines.JMVAE(z=(1, 10), prior='learnt'), 'prior'),
], ids=['mvae z', 'jmvae K=1', 'mmvae x_dim', 'vcca depth', 'cvae latent_type',
        'jmvae prior'])
def test_baselines_check_their_fields_when_made(make, name):
  # As WynerVAE does (issue 33): a bad field is refused at once, naming it.
  with pytest.raises(WynerError, match=name):
    make()
