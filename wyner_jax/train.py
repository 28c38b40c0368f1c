"""Train state, the jitted train steps and the two-step training loop.

Step 1 ('joint') trains the joint encoders and both decoders on pairs; step 2
('marginal') trains only the marginal encoders. The decoders are not part of
the step-2 train state at all: they enter the step as a constant argument, so
they cannot change.

Determinism: the batch of step s is drawn inside the jitted step from a
permutation keyed by (seed, phase, epoch(s)), and the latent noise from
fold_in(key, s); a resumed run therefore replays the uninterrupted one.
"""

import json
import math
import os
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from absl import logging
import jax
import jax.numpy as jnp
import ml_collections
import optax

from wyner_jax import classifier
from wyner_jax import config_checks
from wyner_jax import data
from wyner_jax import evaluate
from wyner_jax import latents
from wyner_jax import losses
from wyner_jax import report
from wyner_jax import sharding
from wyner_jax.checkpoints import PhaseCheckpoints
from wyner_jax.metrics import label_metrics
from wyner_jax.model import Params, WynerVAE

PHASES = ('joint', 'marginal')
# Metrics whose non-finiteness names the term that went bad.
TERMS = ('kl/z', 'kl/u', 'kl/v', 'rec/x', 'rec/y', 'grad_norm')

# loss_fn(params, frozen, x, y, rng, tau, lam) -> (loss, metrics)
LossFn = Callable[..., tuple[jax.Array, dict[str, jax.Array]]]


class TrainState(NamedTuple):
  step: jax.Array  # [] int32, number of updates applied
  params: Params  # the parameters this phase trains
  opt_state: optax.OptState


def model_from_config(config: ml_collections.ConfigDict,
                      data_dim: int = 784) -> WynerVAE:
  m = config.model
  return WynerVAE(z=tuple(m.z), u=tuple(m.u), v=tuple(m.v), hidden=m.hidden,
                  depth=m.depth, data_dim=data_dim, logit_bound=m.logit_bound)


def joint_loss_fn(model: WynerVAE, hard: bool, two_eps_sq: float) -> LossFn:
  """Step-1 loss of params {'joint', 'decoders'}; `frozen` is unused."""
  def loss_fn(params, frozen, x, y, rng, tau, lam):
    del frozen
    out = model.joint_forward(params, x, y, rng, tau, hard)
    return losses.joint_loss(out.logits_z, out.logits_u, out.logits_v, x,
                             out.x_rec, y, out.y_rec, lam, two_eps_sq)
  return loss_fn


def marginal_loss_fn(model: WynerVAE, hard: bool, two_eps_sq: float) -> LossFn:
  """Step-2 loss of the marginal encoders; `frozen` holds the decoders."""
  def loss_fn(params, frozen, x, y, rng, tau, lam):
    del lam  # step 2 has no lambda term
    out = model.marginal_forward(params, frozen, x, y, rng, tau, hard)
    return losses.marginal_loss(*out[:4], x, out.x_rec, y, out.y_rec,
                                two_eps_sq)
  return loss_fn


def batch_indices(data_key: jax.Array, step: jax.Array, num_examples: int,
                  batch_size: int) -> jax.Array:
  """Indices of the batch of `step`: epochs are fresh permutations, last partial batch dropped."""
  steps_per_epoch = num_examples // batch_size
  perm = jax.random.permutation(
      jax.random.fold_in(data_key, step // steps_per_epoch), num_examples)
  return jax.lax.dynamic_slice_in_dim(
      perm, (step % steps_per_epoch) * batch_size, batch_size)


def make_train_step(loss_fn: LossFn, optimizer: optax.GradientTransformation,
                    mesh: jax.sharding.Mesh, batch_size: int,
                    tau_config: ml_collections.ConfigDict,
                    learning_rate: float) -> Callable:
  """Compiles one update: (state, frozen, data_x, data_y, key, lam) -> (state, metrics).

  The whole training set is an argument (replicated on the devices); the
  batch is gathered inside the step and constrained to P('data'), so no
  host-to-device copy happens per step. `lam` is traced: changing it never
  recompiles.
  """
  batch_spec = sharding.batch_sharded(mesh)

  def train_step(state, frozen, data_x, data_y, key, lam):
    data_key, noise_key = jax.random.split(key)
    index = batch_indices(data_key, state.step, data_x.shape[0], batch_size)
    x = jax.lax.with_sharding_constraint(data_x[index], batch_spec)
    y = jax.lax.with_sharding_constraint(data_y[index], batch_spec)
    tau = latents.temperature(state.step, tau_config.initial,
                              tau_config.minimum, tau_config.decay)
    rng = jax.random.fold_in(noise_key, state.step)
    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params, frozen, x, y, rng, tau, lam)
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    metrics = {**metrics, 'tau': tau, 'lr': jnp.float32(learning_rate),
               'grad_norm': optax.tree.norm(grads)}
    return TrainState(state.step + 1, params, opt_state), metrics

  replicated = sharding.replicated(mesh)
  return jax.jit(train_step, donate_argnums=0,
                 out_shardings=(replicated, replicated))


def init_state(params: Params, optimizer: optax.GradientTransformation,
               mesh: jax.sharding.Mesh) -> TrainState:
  state = TrainState(jnp.zeros((), jnp.int32), params, optimizer.init(params))
  return sharding.replicate(state, mesh)


def check_finite(metrics: dict[str, float], phase: str, step: int) -> None:
  """Raises FloatingPointError naming the bad terms, tau and the learning rate."""
  if all(math.isfinite(v) for v in metrics.values()):
    return
  bad = [k for k in ('loss',) + TERMS
         if k in metrics and not math.isfinite(metrics[k])]
  raise FloatingPointError(
      f'{phase} step {step}: non-finite {", ".join(bad)} '
      f'(tau={metrics.get("tau")}, lr={metrics.get("lr")}); nothing was saved '
      'for this step. Try a smaller learning rate, a larger tau.minimum or a '
      'smaller model.logit_bound.')


def _format_duration(seconds: float) -> str:
  seconds = int(seconds)
  return f'{seconds // 60}m{seconds % 60:02d}s'


def run_phase(phase: str, step_fn: Callable, state: TrainState, frozen: Any,
              data: tuple[jax.Array, jax.Array], key: jax.Array, lam: float,
              num_steps: int, checkpoints: PhaseCheckpoints,
              checkpoint_every: int, log_every_secs: float,
              log_path: str | None) -> tuple[TrainState, dict[str, float]]:
  """Runs `step_fn` from state.step to num_steps, logging and checkpointing.

  Returns:
    The final state and the (host) metrics of the last step.
  """
  step = int(state.step)
  lam = jnp.float32(lam)
  metrics: dict[str, float] = {}
  start_step, start_time = step, time.time()
  last_log, timing_started = start_time, False
  while step < num_steps:
    state, device_metrics = step_fn(state, frozen, *data, key, lam)
    step += 1
    if not timing_started:  # time steps/s from here: the first step compiles
      timing_started = True
      jax.block_until_ready(state)
      logging.info('%s: first step (compile) took %.1fs', phase,
                   time.time() - start_time)
      start_step, start_time = step, time.time()
      last_log = start_time
    now = time.time()
    should_log = now - last_log >= log_every_secs or step == num_steps
    should_save = step % checkpoint_every == 0 or step == num_steps
    if should_log or should_save:
      metrics = {k: float(v) for k, v in jax.device_get(device_metrics).items()}
      check_finite(metrics, phase, step)
    if should_log:
      last_log = now
      rate = (step - start_step) / max(now - start_time, 1e-9)
      terms = ' '.join(f'{k} {metrics[k]:.4g}' for k in
                       ('loss', 'kl/z', 'kl/u', 'kl/v', 'rec/x', 'rec/y', 'tau'))
      logging.info('%s step %d/%d  %s | %.1f steps/s, ETA %s', phase, step,
                   num_steps, terms, rate,
                   _format_duration((num_steps - step) / max(rate, 1e-9)))
      if log_path:
        with open(log_path, 'a') as f:
          f.write(json.dumps({'phase': phase, 'step': step, 'steps_per_sec': rate,
                              **{f'train/{k}': v for k, v in metrics.items()}})
                  + '\n')
    if should_save:
      checkpoints.save(step, state, metrics)
  return state, metrics


def train_phase(phase: str, config: ml_collections.ConfigDict,
                loss_fn: LossFn, params: Params, frozen: Any,
                data: tuple[jax.Array, jax.Array], key: jax.Array,
                mesh: jax.sharding.Mesh, workdir: str,
                log_path: str | None = None) -> tuple[TrainState, dict[str, float]]:
  """Trains one phase, resuming from (or skipping to) its last checkpoint.

  Args:
    phase: 'joint' or 'marginal'; selects config.<phase> and the
      checkpoint directory WORKDIR/checkpoints/<phase>/.
    params: initial parameters of the phase (used when nothing is saved).

  Returns:
    The final state and the train metrics of its last step.
  """
  num_steps = config[phase].num_steps
  optimizer = optax.adam(config.learning_rate)
  state = init_state(params, optimizer, mesh)
  checkpoints = PhaseCheckpoints(os.path.join(workdir, 'checkpoints', phase))
  try:
    metrics: dict[str, float] = {}
    latest = checkpoints.latest_step()
    if latest is not None:
      state, metrics = checkpoints.restore(latest, state)
      logging.info('%s: restored step %d from %s%s', phase, latest,
                   checkpoints.directory,
                   ' (finished, skipping)' if latest >= num_steps else '')
    if int(state.step) < num_steps:
      step_fn = make_train_step(loss_fn, optimizer, mesh, config.batch_size,
                                config.tau, config.learning_rate)
      state, metrics = run_phase(
          phase, step_fn, state, frozen, data, key, config.loss.lam, num_steps,
          checkpoints, config.checkpoint_every, config.log_every_secs, log_path)
    return state, metrics
  finally:
    checkpoints.close()


class RunResult(NamedTuple):
  metrics: dict[str, float]  # as written to metrics.json
  model: WynerVAE
  params: Params  # all groups: 'joint', 'decoders', 'marginal'
  test_pairs: data.PairSet


def train_and_evaluate(config: ml_collections.ConfigDict,
                       workdir: str) -> RunResult:
  """Runs both training steps (resuming or skipping finished ones), evaluates
  on the test pairs and writes the figures, metrics.json and config.json.

  Returns:
    The metrics written to WORKDIR/metrics.json, the model and its parameters.
  """
  config_checks.validate(config)
  mesh = sharding.make_mesh()
  sharding.check_batch_size(config.batch_size, mesh)
  os.makedirs(workdir, exist_ok=True)
  with open(os.path.join(workdir, 'config.json'), 'w') as f:
    f.write(config.to_json(indent=2))

  train_images, test_images = data.load_config_images(config.data)
  train_pairs, test_pairs = data.split_pairs(
      train_images, test_images, config.data.pairs_per_class, config.seed)
  if len(train_pairs.x) < config.batch_size:
    raise config_checks.ConfigError(
        f'batch_size={config.batch_size} is larger than the {len(train_pairs.x)} '
        'train pairs; use a smaller batch or more data.pairs_per_class')
  logging.info('data: %d train pairs, %d test pairs (%s); mesh %s',
               len(train_pairs.x), len(test_pairs.x), config.data.source,
               dict(mesh.shape))
  model = model_from_config(config, data_dim=train_pairs.x.shape[1])
  root = jax.random.key(config.seed)
  init_key, joint_key, marginal_key, eval_key, figure_key, probe_key = (
      jax.random.fold_in(root, i) for i in range(6))
  params = model.init(init_key)
  train_data = sharding.replicate((jnp.asarray(train_pairs.x),
                                   jnp.asarray(train_pairs.y)), mesh)
  log_path = os.path.join(workdir, 'train_log.jsonl')
  hard, two_eps_sq = config.tau.hard, config.loss.two_eps_sq
  joint_fn = joint_loss_fn(model, hard, two_eps_sq)
  marginal_fn = marginal_loss_fn(model, hard, two_eps_sq)

  joint_params = {'joint': params['joint'], 'decoders': params['decoders']}
  joint_state, joint_train = train_phase(
      'joint', config, joint_fn, joint_params, None, train_data, joint_key,
      mesh, workdir, log_path)
  decoders = joint_state.params['decoders']
  marginal_state, marginal_train = train_phase(
      'marginal', config, marginal_fn, params['marginal'], decoders,
      train_data, marginal_key, mesh, workdir, log_path)

  def final_tau(phase):
    return float(latents.temperature(config[phase].num_steps, config.tau.initial,
                                      config.tau.minimum, config.tau.decay))

  joint_eval = evaluate.evaluate_loss(
      joint_fn, joint_state.params, None, test_pairs, eval_key,
      final_tau('joint'), config.loss.lam)
  marginal_eval = evaluate.evaluate_loss(
      marginal_fn, marginal_state.params, decoders, test_pairs, eval_key,
      final_tau('marginal'), 0.0)
  metrics = {}
  for phase, train_metrics, eval_metrics in (
      ('joint', joint_train, joint_eval),
      ('marginal', marginal_train, marginal_eval)):
    metrics.update({f'{phase}/train/{k}': v for k, v in train_metrics.items()})
    metrics.update({f'{phase}/eval/{k}': v for k, v in eval_metrics.items()})

  all_params = {**joint_state.params, 'marginal': marginal_state.params}
  steps = config.eval.classifier_steps
  digit_classifier = classifier.load_or_train(
      os.path.join(config.eval.classifier_dir or os.path.join(workdir, 'classifier'),
                   f'{config.data.source}-seed{config.seed}-steps{steps}'),
      train_images, test_images, config.seed, steps)
  metrics.update(label_metrics(model, all_params, digit_classifier, test_pairs,
                               train_pairs, probe_key))
  figures = report.write_figures(model, all_params, test_pairs, figure_key,
                                 os.path.join(workdir, 'figures'))
  with open(os.path.join(workdir, 'metrics.json'), 'w') as f:
    json.dump(metrics, f, indent=2, sort_keys=True)
  logging.info('wrote %s and %s', os.path.join(workdir, 'metrics.json'),
               ', '.join(figures))
  return RunResult(metrics, model, all_params, test_pairs)
