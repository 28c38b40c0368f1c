"""The paper's convolutional autoencoder wrapper (model.wrapper='conv'): the
autoencoder is its own resumable training step, the Wyner VAE models its codes,
and everything a researcher reads is on pixels."""

import functools
import math

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import gaussian, lambda_sweep, sweep_uv, sweep_z, synthetic
from conftest import tiny
from experiments import config_checks, run, sources
from wyner_jax import autoencoder, checkpoints, contracts
from wyner_jax.loading import load_model
from wyner_jax.model import WynerVAE



def train_wrapper(config, paired, workdir):
  """The wrapper's autoencoders of `config` trained into `workdir`."""
  return run.train_wrapper(run.make_plan(config, paired), workdir)

def test_the_pixel_view_is_the_autoencoder_composed_with_the_model():
  net = autoencoder.ConvAutoencoder(code_size=6)
  model = WynerVAE(z=(1, 4), u=(1, 3), v=(1, 2), hidden=8, depth=1, x_dim=6,
                   y_dim=6)
  ae_params = net.init(jax.random.key(0))
  params = model.init(jax.random.key(1))
  px_model, px_params = autoencoder.on_pixels(
      model, params, {'x': net, 'y': net}, {'x': ae_params, 'y': ae_params})
  images = jax.random.uniform(jax.random.key(2), (5, 784))
  codes = net.encode(ae_params, images)
  assert codes.shape == (5, 6) and bool(jnp.all((codes > 0) & (codes < 1)))
  key = jax.random.key(5)
  # Images in: the model sees their codes; images out: its outputs decoded.
  np.testing.assert_allclose(
      px_model.conditional(px_params, key, images, 'x', 3),
      net.decode(ae_params, model.conditional(params, key, codes, 'x', 3)
                 .reshape(15, 6)).reshape(5, 3, 784), atol=1e-6)
  np.testing.assert_allclose(
      px_model.joint(px_params, key, 4)[1],
      net.decode(ae_params, model.joint(params, key, 4)[1]), atol=1e-6)
  np.testing.assert_allclose(px_model.rates(px_params, images, images)['z'],
                             model.rates(params, codes, codes)['z'], rtol=1e-6)
  # What the Wyner VAE's metrics read, on images too.
  np.testing.assert_allclose(
      px_model.joint_posteriors(px_params, images, images)['v'],
      model.joint_posteriors(params, codes, codes)['v'], atol=1e-6)
  np.testing.assert_allclose(
      px_model.carrier_samples(px_params, key, images, images, False, True),
      net.decode(ae_params, model.carrier_samples(params, key, codes, codes,
                                                  False, True)), atol=1e-6)
  assert px_model.latent_u == model.latent_u and px_model.CAN == model.CAN
  # Images of the wrong size are refused, not reshaped into another batch.
  with pytest.raises(contracts.ShapeError, match=r'condition has shape '
                     r'\(5, 1568\) \(1568 values per example\) but side x of '
                     r'this model takes 784'):
    px_model.conditional(px_params, key, jnp.tile(images, 2), 'x', 3)


class FullResolutionDecoder(nn.Module):
  """1.0's decoder, written out: upsample (`jax.image.resize`, nearest),
  then `nn.Conv` at the upsampled resolution."""
  shape: tuple[int, int, int]

  @nn.compact
  def __call__(self, codes):
    height, width, channels = self.shape[0] // 4, self.shape[1] // 4, self.shape[2]

    def upsample(h):
      batch, h_in, w_in, c = h.shape
      return jax.image.resize(h, (batch, 2 * h_in, 2 * w_in, c), 'nearest')
    h = nn.relu(nn.Dense(height * width * 32)(codes))
    h = upsample(h.reshape(-1, height, width, 32))
    h = nn.relu(nn.Conv(16, (3, 3))(h))
    h = nn.Conv(channels, (3, 3))(upsample(h))
    return nn.sigmoid(h).reshape(h.shape[0], -1)


@pytest.mark.parametrize('shape', [(28, 28, 1), (8, 12, 3)])
def test_the_decoder_is_upsampling_then_convolution(shape):
  ours = autoencoder.ConvDecoder(shape)
  reference = FullResolutionDecoder(shape)
  codes = jax.random.uniform(jax.random.key(1), (5, 7))
  params = ours.init(jax.random.key(0), codes)
  # The same parameters, initialized bitwise alike (trained ones still load).
  jax.tree.map(np.testing.assert_array_equal, params,
               reference.init(jax.random.key(0), codes))
  # Trained-like parameters: no zero bias, larger weights.
  params = jax.tree.map(
      lambda leaf: leaf + 0.3 * jax.random.normal(jax.random.key(leaf.size),
                                                  leaf.shape), params)
  np.testing.assert_allclose(ours.apply(params, codes),
                             reference.apply(params, codes), atol=2e-6)
  # Inputs of another dtype are promoted as nn.Conv promotes them.
  half = codes.astype(jnp.bfloat16)
  assert ours.apply(params, half).dtype == reference.apply(params, half).dtype
  np.testing.assert_allclose(ours.apply(params, half),
                             reference.apply(params, half), atol=2e-6)
  layer = {'params': params['params']['Conv_0']}
  h = jax.random.normal(jax.random.key(3), (2, 3, 3, 32))
  upsampled = autoencoder.UpsampledConv(16)
  out = upsampled.apply(layer, h.astype(jnp.bfloat16))
  assert out.dtype == jnp.float32
  np.testing.assert_allclose(out, upsampled.apply(layer, h), rtol=0.05,
                             atol=0.05)
  target = jax.random.uniform(jax.random.key(2), (5, math.prod(shape)))

  def loss(decoder):
    return lambda p: jnp.sum((decoder.apply(p, codes) - target) ** 2)
  jax.tree.map(functools.partial(np.testing.assert_allclose, rtol=1e-4,
                                 atol=1e-5),
               jax.grad(loss(ours))(params), jax.grad(loss(reference))(params))


def test_a_later_run_copies_the_cached_autoencoder(tmp_path, monkeypatch,
                                                    caplog):
  monkeypatch.setenv('WYNER_JAX_CACHE_DIR', str(tmp_path / 'cache'))
  config = tiny(**{'model.wrapper': 'conv', 'model.code_size': 8,
                   'autoencoder.num_steps': 5})
  paired = sources.load(config.data)
  first = train_wrapper(config, paired, str(tmp_path / 'first')).params
  # Another Wyner setting, the same autoencoder: copied, not trained.
  config.loss.lam = 7.0
  with caplog.at_level('INFO'):
    again = train_wrapper(config, paired, str(tmp_path / 'again')).params
  assert 'copied from' in caplog.text
  jax.tree.map(np.testing.assert_array_equal, first, again)
  assert checkpoints.saved_steps(str(tmp_path / 'again' / 'checkpoints' /
                                     'autoencoder')) == [5]
  # Another autoencoder setting: trained (its own entry).
  config.autoencoder.num_steps = 6
  caplog.clear()
  with caplog.at_level('INFO'):
    train_wrapper(config, paired, str(tmp_path / 'other'))
  assert 'copied from' not in caplog.text
  assert len(list((tmp_path / 'cache' / 'autoencoders').iterdir())) == 2


@pytest.fixture(scope='module')
def wrapped_run(tmp_path_factory):
  workdir = tmp_path_factory.mktemp('wrapped')
  # 2 eps^2 relative to the codes' variances: known only once the
  # autoencoder is trained.
  config = tiny(**{'model.wrapper': 'conv', 'model.code_size': 8,
                   'autoencoder.num_steps': 200, 'eval.autoencoder_steps': 50,
                   'model.prior': 'learned',  # as the default
                   'loss.two_eps_sq_unit': 'total_variance',
                   'loss.two_eps_sq': 2e-3})
  (result,) = run.train_and_evaluate(config, str(workdir))
  return config, workdir, result


def test_a_wrapped_run_trains_the_autoencoder_first_and_reads_on_pixels(wrapped_run):
  _, workdir, result = wrapped_run
  assert sorted(p.name for p in (workdir / 'checkpoints').iterdir()) == [
      'autoencoder', 'joint', 'marginal']
  # The autoencoder learns: its test reconstructions beat the mean image.
  test_x = result.test_pairs.x
  mean_image_error = np.mean(np.sum((test_x - test_x.mean(0)) ** 2, -1))
  assert result.metrics['eval/autoencoder_rec_x'] < 0.8 * mean_image_error, (
      result.metrics['eval/autoencoder_rec_x'], mean_image_error)
  # The Wyner steps modelled 8-number codes; held-out errors are in code space.
  assert result.metrics['joint/eval/rec/x'] < 8.0
  assert 'eval/autoencoder_accuracy_x' in result.metrics
  # Each side's 2 eps^2: 2e-3 of its codes' total variance over the train
  # pairs, and the steps' held-out objectives weigh their errors by it.
  config = wrapped_run[0]
  paired = sources.load(config.data)
  codes = run.train_wrapper(run.make_plan(config, paired), str(workdir),
                            may_train=False).codes(paired.train).pairs()
  for side in ('x', 'y'):
    variance = np.var(getattr(codes, side).astype(np.float64), axis=0).sum()
    assert result.metrics[f'likelihood/two_eps_sq_{side}'] == pytest.approx(
        2e-3 * variance, rel=1e-5)
  m = result.metrics
  assert config.loss.local_aggregate_kl == 0  # no other term in the loss
  np.testing.assert_allclose(
      m['joint/eval/loss'],
      (1 + config.loss.lam) * m['joint/eval/kl/z'] + m['joint/eval/kl/u']
      + m['joint/eval/kl/v']
      + m['joint/eval/rec/x'] / m['likelihood/two_eps_sq_x']
      + m['joint/eval/rec/y'] / m['likelihood/two_eps_sq_y'], rtol=1e-4)
  # The second reading (a separate autoencoder's codes) beside the classifier's.
  for name in ('fd_y_given_x', 'fd_real', 'style_variability_y_given_x',
               'style_transfer_variability'):
    assert np.isfinite(result.metrics[f'eval/ae_{name}'])
  assert result.metrics['eval/ae_fd_real'] < result.metrics['eval/ae_fd_y_given_x']
  assert result.metrics['eval/autoencoder_rec_x'] > 0
  for name in ('conditional_generation', 'style_transfer', 'joint_samples'):
    assert (workdir / 'figures' / f'{name}.png').stat().st_size > 0
  # The model a researcher loads back is the pixel view, with the same outputs.
  trained = load_model(str(workdir))
  assert isinstance(trained.model, autoencoder.OnPixels)
  x = jnp.asarray(result.test_pairs.x[:4])
  key = jax.random.key(0)
  np.testing.assert_allclose(
      trained.model.conditional(trained.params, key, x, 'x', 2),
      result.model.conditional(result.params, key, x, 'x', 2), atol=1e-6)
  # ... and with the learned priors it was trained with.
  jax.tree.map(np.testing.assert_array_equal, trained.params['model']['priors'],
               result.params['model']['priors'])
  np.testing.assert_allclose(
      trained.model.joint(trained.params, key, 8)[0],
      result.model.joint(result.params, key, 8)[0], atol=1e-6)


def test_a_wrapped_workdir_refuses_another_code_size_or_autoencoder(wrapped_run):
  config, workdir, _ = wrapped_run
  other = tiny(**{'model.wrapper': 'conv', 'model.code_size': 9,
                  'autoencoder.num_steps': 200})
  with pytest.raises(checkpoints.CheckpointError, match=r'model.code_size is 9 in '
                     r'this config but 8 in the checkpoints'):
    run.train_and_evaluate(other, str(workdir))
  longer = tiny(**{'model.wrapper': 'conv', 'model.code_size': 8,
                   'autoencoder.num_steps': 220})
  # The joint step modelled the codes of a 200-step autoencoder: refused.
  with pytest.raises(checkpoints.CheckpointError, match=r'autoencoder.num_steps is 220 '
                     r'in this config but 200 in the checkpoints'):
    run.train_and_evaluate(longer, str(workdir))
  assert config.model.code_size == 8


def test_the_autoencoder_records_only_what_it_depends_on():
  base = tiny(**{'model.wrapper': 'conv'})
  # Other Wyner settings may share one trained autoencoder ...
  other = tiny(**{'model.wrapper': 'conv', 'loss.lam': 3.0,
                  'loss.two_eps_sq': 0.5, 'model.z': (1, 20)})
  assert (config_checks.training_fields(base, 'autoencoder')
          == config_checks.training_fields(other, 'autoencoder'))
  # ... but not another code size, seed or learning rate of its own; the
  # Wyner steps record its length.
  for path, value in (('model.code_size', 32), ('seed', 1),
                      ('autoencoder.learning_rate', 3e-3)):
    assert (config_checks.training_fields(base, 'autoencoder')
            != config_checks.training_fields(tiny(**{'model.wrapper': 'conv',
                                                     path: value}), 'autoencoder'))
  assert config_checks.training_fields(base, 'joint')['autoencoder.num_steps'] == 40


def test_the_autoencoder_trains_at_its_own_learning_rate_and_old_records_hold():
  base = tiny(**{'model.wrapper': 'conv'})
  (phase,) = [part.phase for part in run.wrapper_phases(
      base, sources.load(base.data)).values()]
  # Models of other learning rates (a tuning's) model one autoencoder's codes.
  faster = tiny(**{'model.wrapper': 'conv', 'learning_rate': 3e-3})
  assert (phase.learning_rate(base), phase.learning_rate(faster)) == (1e-3, 1e-3)
  assert config_checks.training_fields(faster, 'autoencoder') == {
      **{k: v for k, v in config_checks.training_fields(base, 'autoencoder').items()
         if k != 'learning_rate'}, 'autoencoder.learning_rate': 1e-3}
  assert config_checks.training_fields(faster, 'joint')['autoencoder.learning_rate'] == 1e-3
  # Equal rates (the default's) record `learning_rate` alone, as 1.0 did for a
  # config without the field: its workdirs resume under either config.
  old = tiny(**{'model.wrapper': 'conv'})
  del old.autoencoder['learning_rate']
  assert phase.learning_rate(old) == 1e-3
  for section in ('autoencoder', 'joint', 'marginal'):
    assert (config_checks.training_fields(old, section)
            == config_checks.training_fields(base, section))
  assert 'autoencoder.learning_rate' not in config_checks.training_fields(base, 'joint')


def test_the_default_is_a_valid_config_of_the_measured_settings():
  """configs/synthetic.py's default is the 3-seed setting of
  docs/method_choices.md; `:pixels` is 0.6.0's default, field for field."""
  config = synthetic.get_config()
  config_checks.validate(config)
  assert (config.model.wrapper, config.loss.two_eps_sq, config.loss.lam,
          tuple(config.model.u), tuple(config.model.v), config.model.prior
          ) == ('conv', 1e-3, 0.5, (1, 10), (1, 10), 'learned')
  pixels = synthetic.get_config('pixels')
  config_checks.validate(pixels)
  assert (pixels.model.wrapper, pixels.loss.two_eps_sq, pixels.loss.lam,
          tuple(pixels.model.u), pixels.model.prior, pixels.model.dtype
          ) == ('none', 1e-4, 3e4, (2, 10), 'uniform', 'float32')
  assert gaussian.get_config().model.wrapper == 'none'
  # The sweeps run the default; `:pixels` the sweeps of 0.3.0-0.6.0.
  for derived in (sweep_z, sweep_uv):
    for variant, base in ((None, config), ('pixels', pixels)):
      fields = derived.get_config(variant).to_dict()
      assert fields.pop('sweep')['seeds'] == (0, 1, 2)
      assert fields == base.to_dict(), (derived.__name__, variant)
  for variant, base, lams in (
      (None, config, (0.0, 10.0, 100.0, 300.0, 1e3, 3e3)),
      ('pixels', pixels, (0.0, 1e3, 3e3, 1e4, 3e4, 1e5))):
    fields = lambda_sweep.get_config(variant).to_dict()
    sweep = fields.pop('lambda_sweep')
    assert sweep['lams'] == tuple(lam for lam in lams for _ in range(3))
    assert sweep['seeds'] == (0, 1, 2) * len(lams)
    base = base.to_dict()
    base.pop('lambda_sweep')
    assert fields == base, variant
