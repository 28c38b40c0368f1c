"""Train state, the jitted train step and the loop of one training step.

Everything trains a stack of S models at once (S = 1 for a single run): the
state has a leading model axis and the step is vmapped over it (see
`make_train_step`); the models differ in lambda and seed only, and each
model's lambda, seed and key are leaves of its state (`wyner_jax.stack`).

What a phase trains and holds fixed is data (`wyner_jax.phases.Phase`);
`train_phases` runs a model's phases in order, each from its own
checkpoints. A phase's held groups are not part of its train state at all:
they enter the step as a constant argument, so they cannot change.

The training data stay on the devices as `PairTables`: each side's examples
once (uint8 where the source is 8-bit) and the pairs as index arrays; the
step gathers its batch inside the program, so memory grows with the
examples, not with the pairs.

Determinism: the batch of step s is drawn inside the jitted step from a
permutation keyed by (seed, phase, epoch(s)), and the latent noise from
fold_in(key, s); a resumed run therefore replays the uninterrupted one.
"""

import math
import signal
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from absl import logging
import jax
import jax.numpy as jnp
import numpy as np
import optax

from wyner_jax import latents
from wyner_jax import preemption
from wyner_jax import sharding
from wyner_jax import stack
from wyner_jax.checkpoints import (CheckpointError, PhaseCheckpoints,
                                   TrainingRecord, phase_directory)
from wyner_jax.errors import NonFiniteError
from wyner_jax.model import Params
from wyner_jax.phases import Batch, LossFn, Phase

if TYPE_CHECKING:  # configs come from the launchers (the experiments extra)
  import ml_collections

# What the loop logs to: called with each logged row (`train_phase`).
Log = Callable[[dict[str, Any]], None]
# Metrics whose non-finiteness names the term that went bad.
TERMS = ('kl/z', 'kl/u', 'kl/v', 'rec/x', 'rec/y', 'grad_norm')
# uint8 value -> its float32 in [0, 1], as numpy's astype(float32) / 255 gives
# it (a gather from this table is exact where a division in the program
# might be rewritten as a multiplication).
_UNIT = np.arange(256, dtype=np.float32) / 255.0


class TrainState(NamedTuple):
  """The state of one model in one phase; a stack of S models holds each
  field with a leading [S] axis (`wyner_jax.stack`)."""
  step: jax.Array  # [] int32, number of updates applied
  params: Params  # the parameter groups this phase trains
  opt_state: optax.OptState
  lam: jax.Array  # [] float32, the model's lambda
  seed: jax.Array  # [] int32, the model's seed (for its name)
  key: jax.Array  # [2] uint32 `jax.random.key_data` of the phase's key


class PairTables(NamedTuple):
  """A split's pairs as the step reads them: each side's examples once and
  the pairs as rows into them (`images_y` may be `images_x`)."""
  images_x: Any  # [Nx, *shape_x] uint8 (scaled to [0, 1]) or float32
  images_y: Any  # [Ny, *shape_y]
  index_x: Any  # [P] int32
  index_y: Any  # [P] int32


def as_rows(images: jax.Array) -> jax.Array:
  """[B, *shape] examples -> [B, D] float32 rows (uint8 scaled to [0, 1])."""
  if images.dtype == jnp.uint8:
    images = jnp.asarray(_UNIT)[images.astype(jnp.int32)]
  return images.reshape(images.shape[0], -1).astype(jnp.float32)


def gather(tables: PairTables, rows: jax.Array) -> tuple[jax.Array, jax.Array]:
  """The pairs `rows` [B] as float32 rows: x [B, Dx], y [B, Dy]."""
  return (as_rows(tables.images_x[tables.index_x[rows]]),
          as_rows(tables.images_y[tables.index_y[rows]]))


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
                    tau_config: 'ml_collections.ConfigDict',
                    learning_rate: float, log_tau: bool = True) -> Callable:
  """Compiles one update of a stack of S models (`log_tau`: report the
  temperature among the metrics, for losses that use it).

  Returns:
    step(state, frozen, tables) -> (state, metrics): state and frozen have a
    leading model axis [S]; tables are the whole (replicated) training set
    (`PairTables`), and every metric is [S].

  Each model is `jax.vmap`ped over the leading axis, which the mesh splits
  over 'sweep' (on a CPU mesh of one 'sweep' row the models are mapped one
  after the other instead); each model's batch is gathered inside the step
  (no host copy per step) and split over 'data'. A model's update is the one it would get
  trained alone: models share only the data set. Its lambda and key are
  leaves of its state, so they are traced: changing them never recompiles.
  `state` is donated: after the call only the returned state is valid.
  """
  batch_spec = sharding.batch_sharded(mesh)

  def model_gradients(state, frozen, tables):
    data_key, noise_key = jax.random.split(jax.random.wrap_key_data(state.key))
    index = batch_indices(data_key, state.step, tables.index_x.shape[0],
                          batch_size)
    x, y = gather(tables, index)
    x = jax.lax.with_sharding_constraint(x, batch_spec)
    y = jax.lax.with_sharding_constraint(y, batch_spec)
    tau = latents.temperature(state.step, tau_config.initial,
                              tau_config.minimum, tau_config.decay)
    rng = jax.random.fold_in(noise_key, state.step)
    (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(
        state.params, Batch(x, y, rng, tau, state.lam, frozen))
    metrics = {**metrics, 'lr': jnp.float32(learning_rate),
               'grad_norm': optax.tree.norm(grads)}
    if log_tau:
      metrics['tau'] = tau
    return grads, metrics

  def apply_gradients(state, grads):
    updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    return state._replace(step=state.step + 1, params=params,
                          opt_state=opt_state)

  # spmd_axis_name puts the model axis on 'sweep' in every sharding inside.
  stacked_gradients = jax.vmap(model_gradients, in_axes=(0, 0, None),
                               spmd_axis_name='sweep')
  stacked_apply = jax.vmap(apply_gradients, spmd_axis_name='sweep')

  # On a CPU with the models on one device row, the models' gradients are
  # computed one after the other inside the program (lax.map) rather than
  # vmapped, which was faster there (docs/performance.md §4). Accelerators,
  # where the vmapped models fill the card, and meshes that split the
  # models over devices vmap.
  one_after_another = (mesh.devices.flat[0].platform == 'cpu'
                       and mesh.shape['sweep'] == 1)

  def step(state, frozen, tables):
    if state.lam.shape[0] > 1 and one_after_another:
      grads, metrics = jax.lax.map(
          lambda model: model_gradients(*model, tables), (state, frozen))
    elif state.lam.shape[0] > 1:
      grads, metrics = stacked_gradients(state, frozen, tables)
    else:
      # One model: take its gradient unbatched; a vmap over one model ran
      # slower on XLA:CPU (docs/performance.md).
      first = lambda tree: jax.tree.map(lambda leaf: leaf[0], tree)
      grads, metrics = model_gradients(first(state), first(frozen), tables)
      grads, metrics = jax.tree.map(lambda leaf: leaf[None], (grads, metrics))
    # The update runs on the stacked arrays, as stored: updating unstacked
    # views made XLA:CPU recompute the new moments inside the parameter
    # update from the old ones, so the donated state could not be updated in
    # place (it copied the parameters and both moments every step).
    return stacked_apply(state, grads), metrics

  stacked = sharding.stacked(mesh)
  # The state is donated: parameters and Adam moments are updated in place,
  # so the state's memory is needed once, not twice (benchmarks/donation.py
  # times it).
  return jax.jit(step, out_shardings=(stacked, stacked), donate_argnums=(0,))


def init_state(params: Params, specs: list[stack.ModelSpec],
               keys: np.ndarray, optimizer: optax.GradientTransformation,
               mesh: jax.sharding.Mesh) -> TrainState:
  """The step-0 state of a stack of models, on the mesh.

  Args:
    params: the phase's initial parameters, stacked [S, ...].
    specs: lambda and seed of each model.
    keys: [S, 2] `jax.random.key_data` of each model's key for this phase
      (its batches and latent noise are functions of it and the step).
  """
  return sharding.place(_state(params, specs, keys, optimizer),
                        sharding.stacked(mesh))


def abstract_state(init: Callable[[], Params], specs: list[stack.ModelSpec],
                   keys: np.ndarray, optimizer: optax.GradientTransformation,
                   mesh: jax.sharding.Mesh) -> TrainState:
  """`init_state(init(), ...)`'s shapes, dtypes and shardings, computing
  nothing (`jax.eval_shape`): the target a checkpoint is restored into."""
  shapes = jax.eval_shape(lambda: _state(init(), specs, keys, optimizer))
  stacked = sharding.stacked(mesh)
  return jax.tree.map(
      lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=stacked), shapes)


def _state(params: Params, specs: list[stack.ModelSpec], keys: np.ndarray,
           optimizer: optax.GradientTransformation) -> TrainState:
  return TrainState(
      step=np.zeros(len(specs), np.int32), params=params,
      opt_state=jax.vmap(optimizer.init)(params),
      lam=np.array([np.nan if spec.lam is None else spec.lam
                    for spec in specs], np.float32),
      seed=np.array([spec.seed for spec in specs], np.int32),
      key=np.asarray(keys, np.uint32))


def check_finite(models: list[stack.Member], phase: str, step: int) -> None:
  """Raises NonFiniteError naming the model, the bad terms, tau and the learning rate.

  Args:
    models: `stack.members(state, metrics)`: each model's metrics of the step.
  """
  for member in models:
    values = {k: float(v) for k, v in member.state.items()}
    if all(math.isfinite(v) for v in values.values()):
      continue
    bad = [k for k in ('loss',) + TERMS
           if k in values and not math.isfinite(values[k])]
    model = f' (model {member.name})' if len(models) > 1 else ''
    raise NonFiniteError(
        f'{phase} step {step}{model}: non-finite {", ".join(bad)} '
        f'(tau={values.get("tau")}, lr={values.get("lr")}); nothing was saved '
        'for this step. Try a smaller learning rate, a larger tau.minimum or a '
        'smaller model.logit_bound.')


def format_duration(seconds: float) -> str:
  """'<minutes>m<seconds>s', whole seconds: '24m13s'."""
  seconds = int(seconds)
  return f'{seconds // 60}m{seconds % 60:02d}s'


def eta_text(step: int, num_steps: int, rate: float, later_steps: int = 0
             ) -> str:
  """'ETA <this phase's time left>', and with later_steps > 0 the time left
  to the end of training with the phases after it, their steps at this
  phase's rate ('<phase ETA>, training ~<all> (N later steps at this
  rate)'). An estimate, not a bound: a later phase's steps may cost more or
  less than this one's (the marginal step's fewer networks, less)."""
  left = (num_steps - step) / max(rate, 1e-9)
  text = f'ETA {format_duration(left)}'
  if later_steps:
    whole = left + later_steps / max(rate, 1e-9)
    text += (f', training ~{format_duration(whole)} ({later_steps} later '
             'steps at this rate)')
  return text


def _log_progress(phase: str, step: int, num_steps: int, rate: float,
                  models: list[stack.Member], log: Log | None,
                  later_steps: int = 0) -> None:
  eta = eta_text(step, num_steps, rate, later_steps)
  for member in models:
    values = {k: float(v) for k, v in member.state.items()}
    terms = ' '.join(f'{k} {values[k]:.4g}' for k in
                     ('loss', 'kl/z', 'kl/u', 'kl/v', 'rec/x', 'rec/y', 'tau')
                     if k in values)  # the autoencoder's step has no KLs
    model = f' [{member.name}]' if len(models) > 1 else ''
    logging.info('%s step %d/%d%s  %s | %.1f steps/s, %s', phase, step,
                 num_steps, model, terms, rate, eta)
    if log is not None and jax.process_index() == 0:
      log({'phase': phase, 'step': step, 'model': member.name,
           'steps_per_sec': rate, **{f'train/{k}': v for k, v in values.items()}})


def run_phase(phase: str, step_fn: Callable, state: TrainState, frozen: Any,
              tables: PairTables, num_steps: int,
              checkpoints: PhaseCheckpoints, checkpoint_every: int,
              log_every_secs: float, log: Log | None, later_steps: int = 0
              ) -> tuple[TrainState, dict[str, np.ndarray]]:
  """Runs `step_fn` from the state's step to num_steps, logging and checkpointing.

  later_steps: the steps of the phases that follow this one, for the
  progress lines' ETA of the whole training (`eta_text`).

  Returns:
    The final stacked state and the (host) metrics of the last step, each [S].
  """
  step = stack.current_step(state)
  metrics: dict[str, np.ndarray] = {}
  start_step, start_time = step, time.time()
  last_log, timing_started = start_time, False
  in_flight = None
  with preemption.stop_on_signals() as stop:
    while step < num_steps:
      state, device_metrics = step_fn(state, frozen, tables)
      step += 1
      # At most two steps in flight: an unbounded queue of steps with
      # collectives deadlocks XLA:CPU's device threads (seen with 8 simulated
      # devices on 2 cores); waiting for the previous step costs no overlap.
      if in_flight is not None:
        jax.block_until_ready(in_flight)
      in_flight = device_metrics
      if not timing_started:  # time steps/s from here: the first step compiles
        timing_started = True
        jax.block_until_ready(state)
        logging.info('%s: first step (compile) took %.1fs', phase,
                     time.time() - start_time)
        start_step, start_time = step, time.time()
        last_log = start_time
      now = time.time()
      # Read the flag once: a signal arriving later in this iteration must not
      # stop it unsaved; it stops the next one, which saves.
      signum = stop.signum
      should_log = now - last_log >= log_every_secs or step == num_steps
      should_save = (step % checkpoint_every == 0 or step == num_steps
                     or signum is not None)
      if should_log or should_save:
        metrics = sharding.to_host(device_metrics)
        models = stack.members(state, metrics)
        check_finite(models, phase, step)
      if should_log:
        last_log = now
        rate = (step - start_step) / max(now - start_time, 1e-9)
        _log_progress(phase, step, num_steps, rate, models, log, later_steps)
      if should_save:
        checkpoints.save(step, state,
                         {k: v.tolist() for k, v in metrics.items()})
      if signum is not None:
        name = signal.Signals(signum).name
        raise preemption.Preempted(
            signum, f'{name}: stopped {phase} at step {step} of '
            f'{num_steps} and saved it in {checkpoints.directory}; run the '
            'same command to resume')
  return state, metrics


def train_phase(phase: Phase, config: 'ml_collections.ConfigDict',
                init: Callable[[], Params], frozen: Any, tables: PairTables,
                specs: list[stack.ModelSpec], keys: np.ndarray,
                mesh: jax.sharding.Mesh, workdir: str,
                record: TrainingRecord, log: Log | None = None,
                may_train: bool = True, later_steps: int = 0
                ) -> tuple[TrainState, dict[str, np.ndarray]]:
  """Trains one phase of a stack of S models, resuming from (or skipping to)
  its last checkpoint in WORKDIR/checkpoints/<phase.name>/.

  Args:
    phase: what it trains and its loss; `phase.num_steps(config)` steps.
    init: () -> the groups it trains, initial values stacked [S, ...];
      called only when nothing is saved (a restore needs only its shapes,
      `abstract_state`), so a finished run initialises nothing.
    frozen: the groups it holds fixed, stacked, or None.
    tables: the training pairs, placed on the mesh (replicated).
    specs: lambda and seed of each model.
    keys: [S, 2] `jax.random.key_data` of each model's phase key.
    record: what this phase trains, saved with every checkpoint; saved
      checkpoints with another record are refused (CheckpointError).
    log: called with each logged row (process 0 only): {'phase', 'step',
      'model' (its name), 'steps_per_sec', 'train/<metric>': value, ...},
      every `config.log_every_secs` and at the last step; None: printed only.
    may_train: False: only restore; a phase short of num_steps is an error.
    later_steps: the steps of the phases after it (`run_phase`).

  Returns:
    The final stacked state and the train metrics of its last step, each [S].
  """
  num_steps = phase.num_steps(config)
  learning_rate = phase.learning_rate(config)
  optimizer = optax.adam(learning_rate)
  checkpoints = PhaseCheckpoints(phase_directory(workdir, phase.name), record)
  try:
    metrics: dict[str, np.ndarray] = {}
    latest = None
    restored = checkpoints.restore_latest(
        abstract_state(init, specs, keys, optimizer, mesh))
    if restored is not None:
      latest, state, saved = restored
      metrics = {k: np.asarray(v) for k, v in saved.items()}
      logging.info('%s: restored step %d from %s%s', phase.name, latest,
                   checkpoints.directory,
                   ' (finished, skipping)' if latest >= num_steps else '')
    else:
      state = init_state(init(), specs, keys, optimizer, mesh)
    if latest is None or latest < num_steps:
      if not may_train:
        raise CheckpointError(
            f'{phase.name} is trained to step {latest or 0} of {num_steps} in '
            f'{checkpoints.directory}; run experiments.main with this workdir '
            'to finish training first')
      step_fn = make_train_step(phase.loss, optimizer, mesh, config.batch_size,
                                config.tau, learning_rate,
                                phase.relaxed)
      state, metrics = run_phase(
          phase.name, step_fn, state, frozen, tables, num_steps, checkpoints,
          config.checkpoint_every, config.log_every_secs, log, later_steps)
    return state, metrics
  finally:
    checkpoints.close()


def train_phases(phases: Sequence[Phase], config: 'ml_collections.ConfigDict',
                 init: Callable[[], Params], tables: PairTables,
                 specs: list[stack.ModelSpec], keys: dict[str, np.ndarray],
                 mesh: jax.sharding.Mesh, workdir: str,
                 records: dict[str, TrainingRecord],
                 log: Log | None = None, may_train: bool = True,
                 steps_after: int = 0
                 ) -> tuple[Params, dict[str, dict[str, np.ndarray]]]:
  """A model's phases in order, each resumed or skipped by its checkpoints.

  Args:
    phases: in training order; each holds only groups an earlier one trains.
    init: () -> initial parameters of every group, stacked [S, ...];
      called at most once, and only if a phase starts afresh.
    keys: per phase name, [S, 2] key data of each model's phase key.
    records: per phase name, what its checkpoints record.
    steps_after: the steps of training that follows these phases (a run's
      model phases after its autoencoders'), counted in the ETA.

  Returns:
    (the trained groups of every phase, stacked and on the devices;
    per phase name, the train metrics of its last step, each [S]).
  """
  trained: Params = {}
  metrics = {}
  init = _once(init)
  steps = [phase.num_steps(config) for phase in phases]
  for index, phase in enumerate(phases):
    state, metrics[phase.name] = train_phase(
        phase, config, lambda p=phase: p.initial(init()), phase.frozen(trained),
        tables, specs, keys[phase.name], mesh, workdir, records[phase.name], log,
        may_train, sum(steps[index + 1:]) + steps_after)
    trained.update(state.params)
  return trained, metrics


def _once(init: Callable[[], Params]) -> Callable[[], Params]:
  """`init`, whose concrete result is kept for later calls (not a traced
  one: `abstract_state` traces it)."""
  kept = []

  def call() -> Params:
    if kept:
      return kept[0]
    params = init()
    if not any(isinstance(a, jax.core.Tracer) for a in jax.tree.leaves(params)):
      kept.append(params)
    return params
  return call
