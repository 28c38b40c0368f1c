"""Training steps (a stack of one model): learning, frozen decoders, exact
resume, 4 devices = 1."""

import re

import jax
import numpy as np
import optax
import pytest

from conftest import add1_pairs, as_tables, mnist_model, wyner_phases
from configs import gaussian, synthetic
from experiments.sources import images as image_sets
from wyner_jax import checkpoints, latents, phases, sharding, stack, train
from wyner_jax.errors import ArgumentError


@pytest.fixture(scope='module')
def pairs():
  train_images, _ = image_sets.embedded_mnist(test_per_class=100)
  return add1_pairs(train_images, 40, seed=0)


def tiny_config(**overrides):
  config = synthetic.get_config('tiny')
  config.log_every_secs = 1e9  # quiet
  for key, value in overrides.items():
    config[key] = value
  return config


def fixed_batch(pairs, size, mesh):
  """`size` pairs as the whole data set: every step sees the same batch."""
  return sharding.place(as_tables(pairs.x[::12][:size], pairs.y[::12][:size]),
                        sharding.replicated(mesh))


def init_state(trees, config, mesh, key_seed=1):
  """The step-0 state of a stack of models with lambda 0 and seeds 0, 1, ..."""
  specs = [stack.ModelSpec(0.0, i) for i in range(len(trees))]
  keys = np.stack([jax.random.key_data(jax.random.key(key_seed + i))
                   for i in range(len(trees))])
  return train.init_state(stack.stack(trees), specs, keys,
                          optax.adam(config.learning_rate), mesh)


def run_steps(step_fn, state, frozen, batch, num):
  """`num` steps of a one-model stack; the losses as floats."""
  losses = []
  for _ in range(num):
    state, metrics = step_fn(state, frozen, batch)
    (model,) = stack.members(state, metrics)
    losses.append(float(model.state['loss']))
  return state, losses


def tiny_variant(pairs, **model_fields):
  """The tiny config with `model_fields` set: (config, mesh, its model, the
  tiny model without them, parameters of the first, a fixed batch)."""
  config = tiny_config()
  config.model.update(model_fields)
  mesh = sharding.make_mesh()
  model = mnist_model(config)
  reference = mnist_model(tiny_config())
  return (config, mesh, model, reference, model.init(jax.random.key(0)),
          fixed_batch(pairs, config.batch_size, mesh))


def make_step(loss_fn, config, mesh):
  return train.make_train_step(loss_fn, optax.adam(config.learning_rate), mesh,
                               config.batch_size, config.tau,
                               config.learning_rate)


def _joint_training(pairs, num_steps, config=None):
  config = config or tiny_config()
  mesh = sharding.make_mesh()
  model = mnist_model(config)
  params = model.init(jax.random.key(0))
  loss_fn = phases.joint_loss_fn(model, False, config.loss.two_eps_sq)
  state = init_state([{'joint': params['joint'],
                        'decoders': params['decoders']}], config, mesh)
  batch = fixed_batch(pairs, config.batch_size, mesh)
  state, losses = run_steps(make_step(loss_fn, config, mesh), state, None,
                            batch, num_steps)
  return config, mesh, model, params, batch, state, losses


@pytest.fixture(scope='module')
def joint_trained(pairs):
  """300 joint steps of the tiny model on one fixed batch."""
  return _joint_training(pairs, 300)


def test_joint_loss_falls_on_a_fixed_batch(joint_trained):
  *_, losses = joint_trained
  assert np.mean(losses[-10:]) < 0.35 * losses[0], (losses[0], losses[-10:])


def _marginal_training(trained, num_steps):
  config, mesh, model, params, batch, joint_state, _ = trained
  decoders = joint_state.params['decoders']
  before = jax.tree.map(np.array, decoders)
  loss_fn = phases.marginal_loss_fn(model, False, config.loss.two_eps_sq)
  state = init_state([{'marginal': params['marginal']}], config, mesh)
  state, losses = run_steps(make_step(loss_fn, config, mesh), state,
                            {'decoders': decoders}, batch, num_steps)
  jax.tree.map(np.testing.assert_array_equal, before,
               jax.tree.map(np.array, decoders))
  assert set(state.params) == {'marginal'}  # no decoder inside
  assert set(state.params['marginal']) == {'z_x', 'u_x', 'z_y', 'v_y'}
  return losses


def test_marginal_step_leaves_decoders_bitwise_unchanged_and_learns(joint_trained):
  losses = _marginal_training(joint_trained, 200)
  assert np.mean(losses[-10:]) < 0.7 * losses[0], (losses[0], losses[-10:])


def test_gaussian_latents_train_both_steps(pairs):
  config = gaussian.get_config('tiny')
  config.log_every_secs = 1e9
  trained = _joint_training(pairs, 150, config)
  joint_losses = trained[-1]
  assert np.mean(joint_losses[-10:]) < 0.35 * joint_losses[0], joint_losses[::15]
  latent = trained[2].latent_z
  assert latent == latents.Gaussian(4)
  encoded = trained[2].encode(trained[3]['joint']['z'], latent,
                              trained[4].images_x[:2], trained[4].images_y[:2])
  assert encoded.shape == (2, 4, 2)  # mean and log-variance per dimension
  marginal_losses = _marginal_training(trained, 100)
  assert np.mean(marginal_losses[-10:]) < 0.7 * marginal_losses[0], marginal_losses[::10]
  # No categorical latent: the temperature is unused, so neither phase logs it.
  assert not any(p.relaxed for p in wyner_phases(config, trained[2]).values())
  assert all(p.relaxed for p in wyner_phases(tiny_config(), mnist_model(
      tiny_config())).values())


def _train_joint(config, workdir, pairs, mesh):
  model = mnist_model(config)
  params = model.init(jax.random.key(0))
  phase = wyner_phases(config, model)['joint']
  dataset = sharding.place(as_tables(pairs.x, pairs.y), sharding.replicated(mesh))
  record = checkpoints.TrainingRecord({'learning_rate': config.learning_rate},
                                      {}, {})
  state, _ = train.train_phase(
      phase, config,
      lambda: stack.stack([{'joint': params['joint'],
                            'decoders': params['decoders']}]),
      None, dataset, [stack.ModelSpec(0.0, 0)],
      jax.random.key_data(jax.random.key(2))[None], mesh, str(workdir), record)
  return state


@pytest.mark.parametrize('variant', [None, 'pixels'])
def test_the_initialization_as_one_program_is_the_op_by_op_one_bitwise(variant):
  # experiments.run.train_models jits the model's init (dozens of tiny
  # programs otherwise): the default's results must not move with it.
  model = mnist_model(synthetic.get_config(variant))
  key = jax.random.key(3)
  jax.tree.map(np.testing.assert_array_equal, model.init(key),
               jax.jit(model.init)(key))


def test_resumed_run_equals_uninterrupted_bitwise(pairs, tmp_path):
  mesh = sharding.make_mesh()
  steps = 15  # crosses an epoch boundary: 400 pairs / 32 = 12 steps per epoch
  short = tiny_config(checkpoint_every=steps)
  short.joint.num_steps = steps
  full = tiny_config(checkpoint_every=steps)
  full.joint.num_steps = 2 * steps
  _train_joint(short, tmp_path / 'resumed', pairs, mesh)
  resumed = _train_joint(full, tmp_path / 'resumed', pairs, mesh)
  uninterrupted = _train_joint(full, tmp_path / 'straight', pairs, mesh)
  assert (stack.current_step(resumed) == stack.current_step(uninterrupted)
          == 2 * steps)
  jax.tree.map(np.testing.assert_array_equal,
               jax.tree.map(np.array, resumed),
               jax.tree.map(np.array, uninterrupted))


@pytest.mark.multi_device
def test_four_devices_match_one_device(pairs):
  assert jax.device_count() == 4, 'conftest simulates 4 CPU devices here'
  config = tiny_config()
  model = mnist_model(config)
  params = model.init(jax.random.key(0))
  loss_fn = phases.joint_loss_fn(model, False, config.loss.two_eps_sq)
  results = []
  for devices in (jax.devices()[:1], jax.devices()):
    mesh = sharding.make_mesh(devices=devices)
    state = init_state([{'joint': params['joint'],
                          'decoders': params['decoders']}], config, mesh, 3)
    dataset = sharding.place(as_tables(pairs.x, pairs.y),
                             sharding.replicated(mesh))
    state, losses = run_steps(make_step(loss_fn, config, mesh), state, None,
                              dataset, 5)
    results.append((state, losses))
  (state_1, losses_1), (state_4, losses_4) = results
  np.testing.assert_allclose(losses_4, losses_1, rtol=1e-5)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6),
               jax.tree.map(np.array, state_4.params),
               jax.tree.map(np.array, state_1.params))


@pytest.mark.multi_device
def test_batch_size_not_divisible_by_devices_is_a_clear_error():
  mesh = sharding.make_mesh()
  with pytest.raises(sharding.MeshError, match=r'batch_size=10 must be a positive '
                     r'multiple of the number of data-parallel devices \(4\)'):
    sharding.check_divisible(1, 10, mesh)


@pytest.mark.parametrize('num_models', [
    1, pytest.param(2, marks=pytest.mark.multi_device)])
def test_train_step_updates_the_donated_state_in_place(pairs, num_models):
  # Every state buffer is aliased to the new state, and no Adam moment is
  # copied first (XLA copies a donated input that is still read after its
  # update: a layout of the update that recomputed the new moments from the
  # old ones cost three copies of the parameters a step).
  config = tiny_config()
  mesh = sharding.make_mesh(num_models, jax.devices()[:num_models])
  model = mnist_model(config)
  params = [model.init(jax.random.key(i)) for i in range(num_models)]
  state = init_state([{'marginal': p['marginal']} for p in params], config,
                     mesh)
  frozen = sharding.place(stack.stack([{'decoders': p['decoders']} for p in params]),
                          sharding.stacked(mesh))
  data_set = sharding.place(as_tables(pairs.x, pairs.y),
                            sharding.replicated(mesh))
  step = make_step(phases.marginal_loss_fn(model, False, config.loss.two_eps_sq),
                   config, mesh)
  compiled = step.lower(state, frozen, data_set).compile()
  bytes_per_device = sum(leaf.addressable_shards[0].data.nbytes
                         for leaf in jax.tree.leaves(state))
  assert compiled.memory_analysis().alias_size_in_bytes == bytes_per_device
  copied = re.findall(r'copy\(%state_opt_state\S*?_(mu|nu)_', compiled.as_text())
  assert not copied, f'{len(copied)} Adam moments copied before their update'
  new_state, _ = step(state, frozen, data_set)
  assert all(leaf.is_deleted() for leaf in jax.tree.leaves(state))
  assert not any(leaf.is_deleted() for leaf in jax.tree.leaves(new_state))


def test_local_aggregate_kl_adds_its_weighted_term_and_nothing_else(pairs):
  config = tiny_config()
  model = mnist_model(config)
  params = model.init(jax.random.key(0))
  joint = {'joint': params['joint'], 'decoders': params['decoders']}
  x, y = pairs.x[:16], pairs.y[:16]
  args = (joint, phases.Batch(x, y, jax.random.key(1), 0.7, 0.0))
  paper_loss, paper = phases.joint_loss_fn(model, False, 1e-4)(*args)
  loss, metrics = phases.joint_loss_fn(model, False, 1e-4, 300.0)(*args)
  out = model.joint_forward(joint, x, y, jax.random.key(1), 0.7, False)
  agg_u = latents.aggregate_kl_to_uniform(out.logits_u)
  agg_v = latents.aggregate_kl_to_uniform(out.logits_v)
  assert float(agg_u) > 0 and float(agg_v) > 0
  np.testing.assert_allclose(loss, paper_loss + 300.0 * (agg_u + agg_v), rtol=1e-6)
  assert set(metrics) == set(paper) | {'agg_kl/u', 'agg_kl/v'}
  for key in paper:
    if key != 'loss':
      assert metrics[key] == paper[key], key


def test_bfloat16_compute_keeps_float32_state_and_a_close_loss(pairs):
  """model.dtype='bfloat16': matmuls in bfloat16; parameters, Adam moments,
  latent parameters and the loss in float32, within bfloat16's rounding of
  the float32 model's loss."""
  config, mesh, model, float32, params, batch = tiny_variant(
      pairs, dtype='bfloat16')
  step_one = {'joint': params['joint'], 'decoders': params['decoders']}
  inputs = phases.Batch(*(jax.numpy.asarray(a) for a in (batch.images_x,
                                                         batch.images_y)),
                        jax.random.key(2), 0.7, 0.0)
  loss, _ = phases.joint_loss_fn(model, False, 0.1)(step_one, inputs)
  reference, _ = phases.joint_loss_fn(float32, False, 0.1)(step_one, inputs)
  assert loss.dtype == np.float32
  np.testing.assert_allclose(float(loss), float(reference), rtol=2e-2)
  out = model.joint_forward(step_one, *inputs[:4], False)
  assert out.cross is None  # no cross path
  assert {a.dtype for a in out[:5]} == {np.dtype(np.float32)}
  state = init_state([step_one], config, mesh)
  state, losses = run_steps(make_step(phases.joint_loss_fn(model, False, 0.1),
                                      config, mesh), state, None, batch, 100)
  assert {leaf.dtype for leaf in jax.tree.leaves((state.params, state.opt_state))
          if leaf.dtype.kind == 'f'} == {np.dtype(np.float32)}
  assert np.mean(losses[-10:]) < 0.5 * losses[0]


def test_z_side_local_encoders_see_their_side_and_the_sample_of_z(pairs):
  config, mesh, model, _, params, batch = tiny_variant(pairs,
                                                       local_encoder='z_side')
  assert sorted(params['joint']) == ['u_x', 'v_y', 'z']
  x, y = batch.images_x[:8], batch.images_y[:8]
  z_sample = model.latent_z.sample(jax.random.key(5), model.encode(
      params['joint']['z'], model.latent_z, x, y))
  logits_u = model.encode_local(params['joint'], 'u', x, y, z_sample)
  # q(u|z,x): another y leaves it; another z moves it.
  assert np.array_equal(logits_u, model.encode_local(params['joint'], 'u', x,
                                                     y[::-1], z_sample))
  assert not np.allclose(logits_u, model.encode_local(params['joint'], 'u', x,
                                                      y, z_sample[::-1]))
  phase = wyner_phases(config, model)['joint']
  state = init_state([phase.initial(params)], config, mesh)
  _, losses = run_steps(make_step(phase.loss, config, mesh), state, None,
                        batch, 80)
  assert np.mean(losses[-10:]) < 0.5 * losses[0], losses[::8]


def _gaussian_kl(params):
  """Batch-mean KL(N(mean, exp(log_var)) || N(0, I)) of [B, D, 2], NumPy."""
  mean, log_var = np.asarray(params[..., 0], np.float64), np.asarray(
      params[..., 1], np.float64)
  return np.mean(np.sum(0.5 * (mean**2 + np.exp(log_var) - 1 - log_var), -1))


def test_cross_path_adds_the_two_subset_bounds_written_out_in_numpy(pairs):
  config = tiny_config()
  config.model.update(latent_type='gaussian', z=(3,), u=(2,), v=(2,))
  plain = mnist_model(config)
  config.loss.cross_weight = 0.3
  model = mnist_model(config)
  assert model.cross and not plain.cross
  params = model.init(jax.random.key(0))
  # Its own encoders of z from one side; every other network starts as
  # without the cross path (runs without it are unchanged).
  assert sorted(params['joint']) == ['u', 'v', 'z', 'z_x', 'z_y']
  without = plain.init(jax.random.key(0))
  shared = {**params, 'joint': {name: params['joint'][name]
                                for name in without['joint']}}
  assert jax.tree.all(jax.tree.map(np.array_equal, shared, without))
  joint = {'joint': params['joint'], 'decoders': params['decoders']}
  x, y, lam, c = pairs.x[:16], pairs.y[:16], 0.5, 0.3
  two_eps_sq = config.loss.two_eps_sq
  # The phase passes the config's weight on.
  phase = wyner_phases(config, model)['joint']
  batch = phases.Batch(x, y, jax.random.key(1), 0.7, lam)
  loss, metrics = phases.joint_loss_fn(model, False, two_eps_sq,
                                       cross_weight=c)(joint, batch)
  out = model.joint_forward(joint, x, y, jax.random.key(1), 0.7, False)
  x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)

  def bound(logits_z, x_rec, y_rec):
    rec = (np.mean(np.sum((x64 - np.asarray(x_rec)) ** 2, -1))
           + np.mean(np.sum((y64 - np.asarray(y_rec)) ** 2, -1)))
    return ((1 + lam) * _gaussian_kl(logits_z) + _gaussian_kl(out.logits_u)
            + _gaussian_kl(out.logits_v) + rec / two_eps_sq)

  cross = out.cross
  expected = (bound(out.logits_z, out.x_rec, out.y_rec)
              + c * (bound(cross.logits_z_x, cross.x_rec_from_x,
                           cross.y_rec_from_x)
                     + bound(cross.logits_z_y, cross.x_rec_from_y,
                             cross.y_rec_from_y)))
  np.testing.assert_allclose(loss, expected, rtol=1e-5)
  np.testing.assert_allclose(phase.loss(joint, batch)[0], loss, rtol=1e-6)
  np.testing.assert_allclose(metrics['cross/rec/y_from_x'], np.mean(np.sum(
      (y64 - np.asarray(cross.y_rec_from_x)) ** 2, -1)), rtol=1e-5)
  np.testing.assert_allclose(metrics['cross/kl/z_x'],
                             _gaussian_kl(cross.logits_z_x), rtol=1e-5)
  # q~(z|x) sees x alone: another y leaves its parameters.
  assert np.array_equal(cross.logits_z_x, model.joint_forward(
      joint, x, y[::-1], jax.random.key(1), 0.7, False).cross.logits_z_x)
  # The weight and the model agree, or neither trains.
  with pytest.raises(ArgumentError, match='cross_weight=0.0 needs a model'):
    phases.joint_loss_fn(model, False, two_eps_sq)
  with pytest.raises(ArgumentError, match='cross_weight=0.3 needs a model'):
    phases.joint_loss_fn(plain, False, two_eps_sq, cross_weight=c)


def test_cross_path_with_prior_locals_decodes_across_from_one_side_alone(pairs):
  config = tiny_config()
  config.model.update(latent_type='gaussian', z=(3,), u=(2,), v=(2,),
                      prior='learned')
  config.loss.cross_weight = 0.3
  posterior = mnist_model(config)
  config.loss.cross_locals = 'prior'
  model = mnist_model(config)
  assert model.cross_locals == 'prior' and posterior.cross_locals == 'posterior'
  params = model.init(jax.random.key(0))
  # Learned priors away from N(0, I), so that drawing from them shows.
  params['priors'] = jax.tree.map(lambda p: p + 0.5, params['priors'])
  joint = {name: params[name] for name in ('joint', 'decoders', 'priors')}
  x, y, lam, c = pairs.x[:16], pairs.y[:16], 0.5, 0.3
  two_eps_sq = config.loss.two_eps_sq
  batch = phases.Batch(x, y, jax.random.key(1), 0.7, lam)
  loss, _ = phases.joint_loss_fn(model, False, two_eps_sq,
                                 cross_weight=c)(joint, batch)
  out = model.joint_forward(joint, x, y, jax.random.key(1), 0.7, False)
  cross = out.cross
  # Across, one side alone: y from x's z and v ~ p(v) whatever y is, x from
  # y's z and u ~ p(u) whatever x is; each side's own reconstruction keeps
  # its posterior local, as without the option.
  other = model.joint_forward(joint, x[::-1], y[::-1], jax.random.key(1), 0.7,
                              False).cross
  np.testing.assert_array_equal(cross.y_rec_from_x, model.joint_forward(
      joint, x, y[::-1], jax.random.key(1), 0.7, False).cross.y_rec_from_x)
  np.testing.assert_array_equal(cross.x_rec_from_y, model.joint_forward(
      joint, x[::-1], y, jax.random.key(1), 0.7, False).cross.x_rec_from_y)
  assert not np.allclose(cross.y_rec_from_x, other.y_rec_from_x)
  same = posterior.joint_forward(joint, x, y, jax.random.key(1), 0.7, False)
  for name in ('logits_z_x', 'logits_z_y', 'x_rec_from_x', 'y_rec_from_y'):
    np.testing.assert_array_equal(getattr(cross, name),
                                  getattr(same.cross, name))
  assert not np.allclose(cross.y_rec_from_x, same.cross.y_rec_from_x)
  x64, y64 = np.asarray(x, np.float64), np.asarray(y, np.float64)

  def rec(target, reconstruction):
    return np.mean(np.sum((target - np.asarray(reconstruction)) ** 2, -1))

  def kl(params, prior):  # KL(N(mean, var) || N(prior mean, prior var)), NumPy
    mean, log_var = (np.asarray(params[..., i], np.float64) for i in (0, 1))
    p_mean, p_log_var = (np.asarray(prior[..., i], np.float64) for i in (0, 1))
    return np.mean(np.sum(0.5 * (p_log_var - log_var - 1 + (
        np.exp(log_var) + (mean - p_mean) ** 2) / np.exp(p_log_var)), -1))

  priors = joint['priors']
  kl_u, kl_v = kl(out.logits_u, priors['u']), kl(out.logits_v, priors['v'])

  def kl_z(logits):
    return (1 + lam) * kl(logits, priors['z'])

  # The bounds of q(z,u,v|x,y), q~(z|x) q(u|x,y) p(v), q~(z|y) p(u) q(v|x,y):
  # a local drawn from its prior has no rate.
  expected = (kl_z(out.logits_z) + kl_u + kl_v
              + (rec(x64, out.x_rec) + rec(y64, out.y_rec)) / two_eps_sq
              + c * (kl_z(cross.logits_z_x) + kl_u
                     + (rec(x64, cross.x_rec_from_x)
                        + rec(y64, cross.y_rec_from_x)) / two_eps_sq
                     + kl_z(cross.logits_z_y) + kl_v
                     + (rec(x64, cross.x_rec_from_y)
                        + rec(y64, cross.y_rec_from_y)) / two_eps_sq))
  np.testing.assert_allclose(loss, expected, rtol=1e-5)


def test_the_progress_eta_counts_the_phases_still_to_come(monkeypatch):
  assert train.format_duration(3 * 60 + 7.9) == '3m07s'
  assert train.eta_text(10, 110, 4.0) == 'ETA 0m25s'
  assert train.eta_text(10, 110, 4.0, later_steps=500) == (
      'ETA 0m25s, training ~2m30s (500 later steps at this rate)')
  config = tiny_config()
  config.joint.num_steps, config.marginal.num_steps = 30, 20
  steps_phases = list(wyner_phases(config, mnist_model(config)).values())
  later = {}

  def record_later_steps(phase, *args):  # trains nothing
    later[phase.name] = args[-1]
    return train.TrainState(None, {phase.name: {}}, None, None, None, None), {}

  monkeypatch.setattr(train, 'train_phase', record_later_steps)
  names = [phase.name for phase in steps_phases]
  train.train_phases(steps_phases, config, None, None, [], dict.fromkeys(names),
                     None, '', dict.fromkeys(names), steps_after=7)
  # What follows each phase: the later phases' steps and the run's own.
  assert later == {'joint': 20 + 7, 'marginal': 7}


def test_a_kind_defined_outside_the_library_trains_from_one_registry_line(
    pairs, monkeypatch):
  import toy_kind  # pylint: disable=import-outside-toplevel
  monkeypatch.setitem(phases.REGISTRY, 'toy', toy_kind.KIND)  # the one line
  config = tiny_config()
  config.model.kind = 'toy'
  model = mnist_model(config)
  assert isinstance(model, toy_kind.JointAutoencoder)
  (phase,) = phases.model_phases(config, model)
  # One phase over its groups, for both steps' optimizer steps; no
  # categorical latent, so no temperature.
  assert (phase.name, phase.trains, phase.relaxed) == (
      'joint', ('encoder', 'decoders'), False)
  assert phase.num_steps(config) == (config.joint.num_steps
                                     + config.marginal.num_steps)
  mesh = sharding.make_mesh()
  params = model.init(jax.random.key(0))
  state = init_state([phase.initial(params)], config, mesh)
  _, losses = run_steps(make_step(phase.loss, config, mesh), state, None,
                        fixed_batch(pairs, config.batch_size, mesh), 60)
  assert np.mean(losses[-5:]) < 0.5 * losses[0], losses[::6]
  # The tuning draws its candidates from the search space it declares.
  from experiments.many_runs import tuning  # pylint: disable=import-outside-toplevel
  drawn = tuning.settings('toy', 4, draw_seed=0)
  assert drawn[0] == {} and all(
      set(s) == {'learning_rate', 'loss.two_eps_sq_unit', 'loss.two_eps_sq'}
      for s in drawn[1:])
  # An unregistered kind is refused, naming the registered ones.
  config.model.kind = 'nonesuch'
  with pytest.raises(ArgumentError, match=r"model.kind='nonesuch' is not "
                     r'allowed; allowed: wyner, jmvae, .*, toy'):
    mnist_model(config)
