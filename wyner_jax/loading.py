"""One trained model of a workdir, read back from its checkpoints alone.

    from wyner_jax.loading import load_model
    trained = load_model('/tmp/lambda_sweep', 'lam1000_seed0')
    y = wyner_jax.sampling.y_given_x(trained.model, trained.params, rng, x, 8)

The checkpoints record the config that trained them (`TrainingRecord`), so
the model is rebuilt from that, whatever the workdir's config.json says now.
"""

import os
from typing import Any, NamedTuple

import jax
import ml_collections
import numpy as np
import optax

from wyner_jax import autoencoder
from wyner_jax import checkpoints
from wyner_jax import sharding
from wyner_jax import stack
from wyner_jax import train
from wyner_jax.errors import WynerError
from wyner_jax.model import (Params, WynerVAE, joint_step_params,
                             marginal_step_constants)


class TrainedModel(NamedTuple):
  """A model of a workdir, ready for `wyner_jax.sampling` (its bound samplers
  take `model` and `params`; its procedures take `model`'s encoders and
  decoders closed over `params`). With model.wrapper set, `model` is the
  `autoencoder.PixelWynerVAE` and `params` its `pixel_params`: images in,
  images out."""
  name: str  # 'lam1000_seed0'
  lam: float
  seed: int
  config: ml_collections.ConfigDict  # the config that trained it
  model: WynerVAE
  params: Params  # {'joint', 'decoders', 'marginal'}, host arrays
  train_metrics: dict[str, dict[str, float]]  # per phase, of its last step


def _finished_record(directory: str) -> tuple[int, dict[str, Any]]:
  """(step, record) of the newest readable step; refuses unfinished training."""
  for step in checkpoints.saved_steps(directory):
    try:
      record = checkpoints.read_record(directory, step)
    except Exception:  # pylint: disable=broad-except
      continue  # damaged or without a record: try an older step
    phase = os.path.basename(directory)
    wanted = record['config'][phase]['num_steps']
    if step < wanted:
      raise WynerError(f'{directory} is trained to step {step} of {wanted}; '
                       'finish training (run experiments.main again) first')
    return step, record
  raise WynerError(f'no checkpoint with a training record in {directory}; '
                   'train the workdir with experiments.main (wyner_jax >= 0.4)')


def _restore_members(directory: str, model: WynerVAE, learning_rate: float,
                     step: int, phase: str) -> list[stack.Member]:
  """Every model of a phase's checkpoint: its host params and train metrics.
  `model` is a WynerVAE or, for the 'autoencoder' phase, a ConvAutoencoder."""
  with checkpoints.PhaseCheckpoints(directory, None) as phase_checkpoints:
    num_models = phase_checkpoints.saved_shapes(step)['lam'][0]
    params = model.init(jax.random.key(0))
    phase_params = {'joint': joint_step_params(params),
                    'marginal': params.get('marginal'),
                    'autoencoder': params}[phase]
    specs = [stack.ModelSpec(0.0, 0)] * num_models
    mesh = sharding.make_mesh(1, jax.local_devices()[:1])
    like = train.init_state(stack.stack([phase_params] * num_models), specs,
                            np.zeros((num_models, 2), np.uint32),
                            optax.adam(learning_rate), mesh)
    state, metrics = phase_checkpoints.restore(step, like)
  return stack.members(state, {'params': state.params,
                               'train_metrics': {k: np.asarray(v)
                                                 for k, v in metrics.items()}})


def load_model(workdir: str, name: str | None = None) -> TrainedModel:
  """Loads one trained model of a workdir (both training steps finished).

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
  root = os.path.join(os.path.abspath(workdir), 'checkpoints')
  found = {}
  wrapped = os.path.isdir(os.path.join(root, 'autoencoder'))
  for phase in train.PHASES:
    directory = os.path.join(root, phase)
    step, record = _finished_record(directory)
    config = ml_collections.ConfigDict(record['config'])
    model = train.model_from_config(config, record['data_dim'])
    members = _restore_members(directory, model, config.learning_rate, step,
                               phase)
    names = [m.name for m in members]
    if name is None and len(members) > 1:
      raise WynerError(f'{workdir} holds {len(members)} models; name one of '
                       f'{", ".join(names)}')
    chosen = name or names[0]
    if chosen not in names:
      raise WynerError(f'no model {chosen!r} in {workdir}; it holds '
                       f'{", ".join(names)}')
    found[phase] = (members[names.index(chosen)], config, model)
  (joint, _, _), (marginal, config, model) = found['joint'], found['marginal']
  params = {**joint.state['params'], 'marginal': marginal.state['params']}
  train_metrics = {phase: {k: float(v) for k, v in member.state['train_metrics'].items()}
                   for phase, (member, _, _) in found.items()}
  params = jax.tree.map(np.asarray, params)
  if wrapped:  # one autoencoder, shared by every model of the workdir
    directory = os.path.join(root, 'autoencoder')
    step, _ = _finished_record(directory)
    net = autoencoder.ConvAutoencoder(config.model.code_size)
    (member,) = _restore_members(directory, net, config.learning_rate, step,
                                 'autoencoder')
    model = autoencoder.pixel_model(model, net)
    params = autoencoder.pixel_params(
        params, jax.tree.map(np.asarray, member.state['params']))
  return TrainedModel(joint.name, joint.lam, joint.seed, config, model,
                      params, train_metrics)
