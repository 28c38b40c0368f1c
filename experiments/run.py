"""A run from a config: data, both training steps of a stack of models,
evaluation and the files a researcher reads.

Rerunning into a workdir resumes it only with the config that trained its
checkpoints (`check_checkpoints`, before anything is written).

A single run (config.lambda_sweep empty) writes WORKDIR/metrics.json and
WORKDIR/figures/. A lambda sweep writes the same per model in
WORKDIR/models/<lam.._seed..>/ and the sweep's WORKDIR/results.json,
results.md and lambda_sweep.png. Both write config.json, train_log.jsonl and
the checkpoints WORKDIR/checkpoints/{joint,marginal}/ (stacked states).

With several processes (jax.distributed), every process trains and evaluates
(evaluation is replicated), and only process 0 writes files.
"""

import json
import os
from typing import NamedTuple

from absl import logging
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from experiments import classifier
from experiments import config_checks
from experiments import data
from experiments import feature_autoencoder
from experiments import heldout
from experiments import lambda_sweep
from experiments import report
from experiments.metrics import label_metrics
from wyner_jax import autoencoder
from wyner_jax import checkpoints
from wyner_jax import latents
from wyner_jax import sharding
from wyner_jax import stack
from wyner_jax import train
from wyner_jax.model import (Params, WynerVAE, joint_step_params,
                             marginal_step_constants)


class RunKeys(NamedTuple):
  """Every random key of one model, a function of its seed alone."""
  init: jax.Array
  joint: jax.Array
  marginal: jax.Array
  eval: jax.Array
  figures: jax.Array
  probe: jax.Array
  autoencoder: jax.Array

  @classmethod
  def from_seed(cls, seed: int) -> 'RunKeys':
    root = jax.random.key(seed)
    return cls(*(jax.random.fold_in(root, i) for i in range(7)))


class RunResult(NamedTuple):
  metrics: dict[str, float]  # as written to metrics.json
  model: WynerVAE  # on pixels (a PixelWynerVAE with model.wrapper set)
  params: Params  # all groups: 'joint', 'decoders', 'marginal' (, 'priors')
  test_pairs: data.PairSet
  name: str  # 'lam0_seed0'
  lam: float
  seed: int


def key_data(keys: list[jax.Array]) -> np.ndarray:
  """[S, 2] uint32 raw data of S keys: each model's key leaf of its state."""
  return np.stack([np.asarray(jax.random.key_data(k)) for k in keys])


def phases(config: ml_collections.ConfigDict) -> tuple[str, ...]:
  """The training steps of `config`, in order: the autoencoder's first when
  model.wrapper is set."""
  wrapped = config.model.wrapper != 'none'
  return ('autoencoder',) * wrapped + train.PHASES


def training_records(config: ml_collections.ConfigDict, data_dim: int
                     ) -> dict[str, checkpoints.TrainingRecord]:
  """Per phase, what its checkpoints record: the training fields, the
  config and the data dimension of what it models (the codes' with a wrapper)."""
  whole = json.loads(config.to_json())
  wrapped = config.model.wrapper != 'none'
  return {phase: checkpoints.TrainingRecord(
      config_checks.training_fields(config, phase), whole,
      config.model.code_size if wrapped and phase != 'autoencoder' else data_dim)
          for phase in phases(config)}


def check_checkpoints(config: ml_collections.ConfigDict, data_dim: int,
                      workdir: str) -> None:
  """Refuses (CheckpointError) a workdir whose checkpoints another config
  trained; reads only, so a refused run leaves every file as it was."""
  for phase, record in training_records(config, data_dim).items():
    checkpoints.check_resumable(os.path.join(workdir, 'checkpoints', phase),
                                record, config[phase].num_steps)


class Wrapper(NamedTuple):
  """The trained autoencoder of a run with model.wrapper set."""
  autoencoder: autoencoder.ConvAutoencoder
  params: Params  # host arrays

  def codes(self, pairs: data.PairSet) -> data.PairSet:
    """`pairs` with both sides' images replaced by their codes."""
    encode = jax.jit(self.autoencoder.encode)
    def of(images):
      return np.concatenate([np.asarray(encode(self.params, images[i:i + 1000]))
                             for i in range(0, len(images), 1000)])
    return pairs._replace(x=of(pairs.x), y=of(pairs.y))


def train_wrapper(config: ml_collections.ConfigDict, train_pairs: data.PairSet,
                  workdir: str, log_path: str | None = None,
                  may_train: bool = True) -> Wrapper | None:
  """The autoencoder of model.wrapper, trained (or restored) on the train
  pairs' images of both sides, from config.seed; None without a wrapper."""
  if config.model.wrapper == 'none':
    return None
  net = autoencoder.ConvAutoencoder(config.model.code_size)
  key = RunKeys.from_seed(config.seed).autoencoder
  mesh = sharding.make_mesh(1)  # one autoencoder, its batch over every device
  sharding.check_divisible(1, config.batch_size, mesh)
  train_data = sharding.place((train_pairs.x, train_pairs.y),
                              sharding.replicated(mesh))
  record = training_records(config, train_pairs.x.shape[1])['autoencoder']
  state, _ = train.train_phase(
      'autoencoder', config, autoencoder.autoencoder_loss_fn(net),
      stack.stack([net.init(jax.random.fold_in(key, 0))]), None, train_data,
      [stack.ModelSpec(0.0, config.seed)],
      key_data([jax.random.fold_in(key, 1)]), mesh, workdir, record, log_path,
      may_train)
  return Wrapper(net, jax.tree.map(lambda a: np.asarray(a)[0], state.params))


def train_models(config: ml_collections.ConfigDict, model: WynerVAE,
                 specs: list[stack.ModelSpec], train_pairs: data.PairSet,
                 mesh: jax.sharding.Mesh, workdir: str,
                 log_path: str | None = None,
                 may_train: bool = True) -> list[stack.Member]:
  """Both training steps of a stack of models, resuming from WORKDIR/checkpoints.

  Args:
    may_train: False: restore finished checkpoints only (evaluation).

  Returns:
    Each model (name, lambda, seed) with, as its `state`, host arrays
    {'params': {'joint', 'decoders', 'marginal'}, 'train_metrics':
    {'joint': {...}, 'marginal': {...}}} (the train metrics of each phase's
    last step).
  """
  keys = [RunKeys.from_seed(spec.seed) for spec in specs]
  initial = [model.init(k.init) for k in keys]
  train_data = sharding.place((train_pairs.x, train_pairs.y),
                              sharding.replicated(mesh))
  records = training_records(config, train_pairs.x.shape[1])
  hard, two_eps_sq = config.tau.hard, config.loss.two_eps_sq
  joint_state, joint_train = train.train_phase(
      'joint', config, train.joint_loss_fn(model, hard, two_eps_sq,
                                           config.loss.local_aggregate_kl),
      stack.stack([joint_step_params(p) for p in initial]),
      None, train_data, specs, key_data([k.joint for k in keys]), mesh,
      workdir, records['joint'], log_path, may_train)
  marginal_state, marginal_train = train.train_phase(
      'marginal', config, train.marginal_loss_fn(model, hard, two_eps_sq),
      stack.stack([p['marginal'] for p in initial]),
      marginal_step_constants(joint_state.params), train_data, specs,
      key_data([k.marginal for k in keys]), mesh, workdir,
      records['marginal'], log_path, may_train)
  return stack.members(marginal_state, {
      'params': {**joint_state.params, 'marginal': marginal_state.params},
      'train_metrics': {'joint': joint_train, 'marginal': marginal_train}})


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                       may_train: bool = True) -> list[RunResult]:
  """Trains every model of `config` (resuming or skipping finished steps),
  evaluates each on the test pairs and writes the outputs.

  Args:
    may_train: False: evaluate finished checkpoints only (experiments.evaluate).

  Returns:
    One RunResult per model, in the order of `lambda_sweep.model_specs`.
  """
  config_checks.validate(config)
  specs = lambda_sweep.model_specs(config)
  mesh = sharding.make_mesh(config.lambda_sweep.sweep_devices)
  sharding.check_divisible(len(specs), config.batch_size, mesh)
  config_checks.check_workdir(workdir)
  train_images, test_images = data.load_config_images(config.data)
  train_pairs, test_pairs = data.split_pairs(
      train_images, test_images, config.data.pairs_per_class, config.data.seed)
  if len(train_pairs.x) < config.batch_size:
    raise config_checks.ConfigError(
        f'batch_size={config.batch_size} is larger than the {len(train_pairs.x)} '
        'train pairs; use a smaller batch or more data.pairs_per_class')
  # Before anything is written: a config that did not train these
  # checkpoints must not report their results.
  check_checkpoints(config, train_pairs.x.shape[1], workdir)
  writes = jax.process_index() == 0
  if writes and may_train:
    with open(os.path.join(workdir, 'config.json'), 'w') as f:
      f.write(config.to_json(indent=2))
  logging.info('data: %d train pairs, %d test pairs (%s); %d model(s); mesh %s',
               len(train_pairs.x), len(test_pairs.x), config.data.source,
               len(specs), dict(mesh.shape))
  log_path = os.path.join(workdir, 'train_log.jsonl')
  wrapper = train_wrapper(config, train_pairs, workdir, log_path, may_train)
  # What the Wyner VAE models: pixels, or the wrapper's codes of them.
  train_data, test_data = ((train_pairs, test_pairs) if wrapper is None else
                           (wrapper.codes(train_pairs), wrapper.codes(test_pairs)))
  model = train.model_from_config(config, data_dim=train_data.x.shape[1])
  trained = train_models(config, model, specs, train_data, mesh, workdir,
                         log_path, may_train)

  judges = config.eval.classifier_dir or os.path.join(workdir, 'classifier')
  steps = config.eval.classifier_steps
  digit_classifier = classifier.load_or_train(
      os.path.join(judges, f'{config.data.source}-seed{config.data.seed}-steps{steps}'),
      train_images, test_images, config.data.seed, steps)
  # The second reading of variability and FD (never a wrapped model's own);
  # 0 steps: none.
  steps = config.eval.autoencoder_steps
  autoencoder_features = None
  if steps:
    autoencoder_features = feature_autoencoder.feature_fn(
        feature_autoencoder.load_or_train(
            os.path.join(judges, f'{config.data.source}-seed{config.data.seed}-'
                         f'autoencoder{steps}'),
            train_images, config.data.seed, steps))

  # The one autoencoder of the run, measured once for every model.
  wrapper_metrics = (None if wrapper is None else
                     _wrapper_metrics(wrapper, digit_classifier, test_pairs,
                                      test_data))
  sweep = lambda_sweep.is_sweep(config)
  results = []
  for member in trained:
    params = jax.tree.map(jnp.asarray, member.state['params'])
    out_dir = os.path.join(workdir, 'models', member.name) if sweep else workdir
    train_metrics = {phase: {k: float(v) for k, v in values.items()}
                     for phase, values in member.state['train_metrics'].items()}
    keys = RunKeys.from_seed(member.seed)
    metrics = _evaluate_model(config, model, params, member, keys,
                              train_metrics, test_data)
    # Labels, samples and figures are read on pixels.
    if wrapper is not None:
      model_px = autoencoder.pixel_model(model, wrapper.autoencoder)
      params_px = autoencoder.pixel_params(params, wrapper.params)
      metrics.update(wrapper_metrics)
    else:
      model_px, params_px = model, params
    metrics.update(label_metrics(model_px, params_px, digit_classifier,
                                 test_pairs, train_pairs, keys.probe,
                                 autoencoder_features))
    if writes:
      os.makedirs(out_dir, exist_ok=True)
      figures = report.write_figures(model_px, params_px, test_pairs,
                                     keys.figures,
                                     os.path.join(out_dir, 'figures'))
      with open(os.path.join(out_dir, 'metrics.json'), 'w') as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
      logging.info('%s: wrote %s and %s', member.name,
                   os.path.join(out_dir, 'metrics.json'), ', '.join(figures))
    results.append(RunResult(metrics, model_px, params_px, test_pairs,
                             member.name, member.lam, member.seed))
  if sweep and writes:
    rows = [{'lam': r.lam, 'seed': r.seed, 'name': r.name, **r.metrics}
            for r in results]
    paths = lambda_sweep.write_results(workdir, rows)
    logging.info('wrote %s', ', '.join(paths))
  return results


def _wrapper_metrics(wrapper: Wrapper, digit_classifier, test_pairs,
                     test_codes) -> dict[str, float]:
  """How well the autoencoder keeps the test images: squared error and the
  judging classifier's accuracy on its reconstructions (a ceiling for every
  label metric of the wrapped model)."""
  net, params = wrapper.autoencoder, wrapper.params
  rebuilt = np.asarray(jax.jit(net.decode)(params, jnp.asarray(test_codes.x)))
  return {'eval/autoencoder_rec_x': float(np.mean(np.sum(
              (rebuilt - test_pairs.x) ** 2, axis=-1))),
          'eval/autoencoder_accuracy_x': float(np.mean(
              classifier.predict(digit_classifier, rebuilt) == test_pairs.label_x))}


def _evaluate_model(config, model, params, member, keys, train_metrics,
                    test_pairs) -> dict[str, float]:
  """Train and held-out objectives of one trained model, on what it models
  (pixels, or the wrapper's codes)."""
  def final_tau(phase):
    return float(latents.temperature(config[phase].num_steps, config.tau.initial,
                                      config.tau.minimum, config.tau.decay))

  hard, two_eps_sq = config.tau.hard, config.loss.two_eps_sq
  eval_metrics = {
      'joint': heldout.evaluate_loss(
          train.joint_loss_fn(model, hard, two_eps_sq,
                              config.loss.local_aggregate_kl),
          joint_step_params(params), None,
          test_pairs, keys.eval, final_tau('joint'), member.lam),
      'marginal': heldout.evaluate_loss(
          train.marginal_loss_fn(model, hard, two_eps_sq), params['marginal'],
          marginal_step_constants(params), test_pairs, keys.eval,
          final_tau('marginal'), 0.0)}
  metrics = {}
  for phase in ('joint', 'marginal'):
    metrics.update({f'{phase}/train/{k}': v
                    for k, v in train_metrics[phase].items()})
    metrics.update({f'{phase}/eval/{k}': v
                    for k, v in eval_metrics[phase].items()})
  return metrics
