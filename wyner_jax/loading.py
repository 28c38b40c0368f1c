"""One trained model of a workdir, read back from its checkpoints alone.

    from wyner_jax.loading import load_model
    trained = load_model('/tmp/lambda_sweep', 'lam1000_seed0')
    y = trained.model.conditional(trained.params, rng, x, 'x', 8)

The checkpoints record the config that trained them and the data's sides
(`TrainingRecord`), so the model and its phases are rebuilt from that,
whatever the workdir's config.json says now; each phase's checkpoint is
restored into the structure the phase trains.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

try:
  import ml_collections
except ModuleNotFoundError as missing:  # the library alone has no configs
  raise ModuleNotFoundError(
      'wyner_jax.loading needs ml-collections, from the experiments extra: '
      "pip install 'wyner_jax[experiments]'", name=missing.name) from missing

import jax
import numpy as np
import optax

from wyner_jax import autoencoder
from wyner_jax import checkpoints
from wyner_jax import phases
from wyner_jax import sharding
from wyner_jax import stack
from wyner_jax import train
from wyner_jax.errors import WynerError
from wyner_jax.model import Params
from wyner_jax.sides import Side


class TrainedModel(NamedTuple):
  """A model of a workdir, ready for sampling: every kind through its
  sampling surface (`model.conditional(params, ...)`, `model.joint`, ...,
  `wyner_jax.baselines.base`). With
  model.wrapper set, `model` and `params` are `autoencoder.on_pixels`':
  images in, images out."""
  name: str  # 'lam1000_seed0'
  lam: float
  seed: int
  config: ml_collections.ConfigDict  # the config that trained it
  model: Any  # a WynerVAE, or a model of wyner_jax.baselines
  params: Params  # every group of its phases, host arrays
  train_metrics: dict[str, dict[str, float]]  # per phase, of its last step
  sides: tuple[Side, Side]  # the data's X and Y


def _newest_record(directory: str) -> tuple[int, dict[str, Any]]:
  """(step, record) of the newest readable step."""
  for step in checkpoints.saved_steps(directory):
    try:
      return step, checkpoints.read_record(directory, step)
    except Exception:  # pylint: disable=broad-except
      continue  # damaged or without a record: try an older step
  raise WynerError(f'no checkpoint with a training record in {directory}; '
                   'train the workdir with experiments.main (wyner_jax >= 0.9)')


def _finished_record(directory: str, phase: phases.Phase
                     ) -> tuple[int, dict[str, Any]]:
  """`_newest_record`, refusing unfinished training."""
  step, record = _newest_record(directory)
  wanted = phase.num_steps(record['config'])
  if step < wanted:
    raise WynerError(f'{directory} is trained to step {step} of {wanted}; '
                     'finish training (run experiments.main again) first')
  return step, record


def _restore_members(directory: str, phase: phases.Phase,
                     init: Callable[[], Params], learning_rate: float,
                     step: int) -> list[stack.Member]:
  """Every model of a phase's checkpoint: its host params (the groups the
  phase trains) and train metrics. `init` gives one model's parameters of
  every group; only their shapes are used (nothing is initialised)."""
  with checkpoints.PhaseCheckpoints(directory, None) as phase_checkpoints:
    num_models = phase_checkpoints.saved_shapes(step)['lam'][0]
    specs = [stack.ModelSpec(0.0, 0)] * num_models
    mesh = sharding.make_mesh(1, jax.local_devices()[:1])
    like = train.abstract_state(
        lambda: stack.stack([phase.initial(init())] * num_models), specs,
        np.zeros((num_models, 2), np.uint32), optax.adam(learning_rate), mesh)
    state, metrics = phase_checkpoints.restore(step, like)
  return stack.members(state, {'params': state.params,
                               'train_metrics': {k: np.asarray(v)
                                                 for k, v in metrics.items()}})


def load_model(workdir: str, name: str | None = None) -> TrainedModel:
  """Loads one trained model of a workdir (every training phase finished).

  Args:
    workdir: the --workdir of a run or lambda sweep.
    name: the model's name, e.g. 'lam1000_seed0' (a sweep's
      `models/<name>/`); None: the only model of a single run.

  Returns:
    The model, its parameters of all groups and the config that trained it.

  Raises:
    WynerError: no such model (naming the ones there), or its training is
      not finished.
  """
  # Every model kind has a 'joint' phase; its record holds the whole config.
  _, record = _newest_record(checkpoints.phase_directory(workdir, 'joint'))
  config = ml_collections.ConfigDict(record['config'])
  x, y = (Side.from_json(record['sides'][s]) for s in ('x', 'y'))
  model = phases.model_from_config(config, x, y)
  params: Params = {}
  train_metrics = {}
  chosen = None
  for phase in phases.model_phases(config, model):
    directory = checkpoints.phase_directory(workdir, phase.name)
    step, _ = _finished_record(directory, phase)
    members = _restore_members(directory, phase,
                               lambda: model.init(jax.random.key(0)),
                               phase.learning_rate(config), step)
    names = [m.name for m in members]
    if name is None and len(members) > 1:
      raise WynerError(f'{workdir} holds {len(members)} models; name one of '
                       f'{", ".join(names)}')
    if (name or names[0]) not in names:
      raise WynerError(f'no model {name!r} in {workdir}; it holds '
                       f'{", ".join(names)}')
    chosen = members[names.index(name or names[0])]
    params.update(jax.tree.map(np.asarray, chosen.state['params']))
    train_metrics[phase.name] = {k: float(v) for k, v in
                                 chosen.state['train_metrics'].items()}
  if config.model.wrapper != 'none':  # shared by every model of the workdir
    wrapped = autoencoder.wrapper_phases(x, y, config.model.code_size)
    autoencoders, autoencoder_params = {}, {}
    for phase_name, part in wrapped.items():
      directory = checkpoints.phase_directory(workdir, phase_name)
      step, _ = _finished_record(directory, part.phase)
      (member,) = _restore_members(
          directory, part.phase,
          lambda part=part, phase_name=phase_name: {
              phase_name: part.autoencoder.init(jax.random.key(0))},
          part.phase.learning_rate(config), step)
      for side in part.sides:
        autoencoders[side] = part.autoencoder
        autoencoder_params[side] = jax.tree.map(
            np.asarray, member.state['params'][phase_name])
    model, params = autoencoder.on_pixels(model, params, autoencoders,
                                          autoencoder_params)
  return TrainedModel(chosen.name, chosen.lam, chosen.seed, config, model,
                      params, train_metrics, (x, y))
