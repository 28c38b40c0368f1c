"""A run from a config: data, the training phases of a stack of models,
evaluation and the files a researcher reads.

Rerunning into a workdir resumes it only with the config that trained its
checkpoints (`check_checkpoints`, before anything is written).

A single run (config.lambda_sweep empty) writes WORKDIR/metrics.json and
WORKDIR/figures/. A lambda sweep writes the same per model in
WORKDIR/models/<lam.._seed..>/ and the sweep's WORKDIR/results.json,
results.md and lambda_sweep.png. Both write config.json, train_log.jsonl
and TensorBoard event files (`experiments.train_log`; each model's
figures/training_curves.png draws the log), and the checkpoints
WORKDIR/checkpoints/<phase>/ (stacked states), one per phase: the
wrapper's autoencoders ('autoencoder', or 'autoencoder_x' and
'autoencoder_y' when the sides are of two domains), 'joint', 'marginal'.

A run builds its models, phases and records once (`make_plan`), trains the
wrapper's autoencoders and the stack of models (`train_wrapper`,
`train_models`), then evaluates each model (`make_evaluation` once,
`evaluate_member` per model) and writes its outputs (`write_outputs`).

With several processes (jax.distributed), every process trains and evaluates
(evaluation is replicated), and only process 0 writes files.
"""

import json
import os
import time
import zlib
from collections.abc import Callable
from typing import Any, NamedTuple

from absl import logging
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from experiments import cache
from experiments import config_checks
from experiments import data
from experiments import heldout
from experiments.judging import judges
from experiments.many_runs import lambda_sweep
from experiments import report
from experiments import sources
from experiments import train_log
from experiments.judging import metrics
from experiments.judging.metrics import label_metrics
from wyner_jax import autoencoder
from wyner_jax import checkpoints
from wyner_jax import kinds
from wyner_jax import latents
from wyner_jax import phases
from wyner_jax import sharding
from wyner_jax import stack
from wyner_jax import train
from wyner_jax.model import Params


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

  def phase(self, name: str) -> jax.Array:
    """The key of a training phase: the Wyner phases' own, a wrapper
    autoencoder's (one domain: `autoencoder`; several: folded in by name)."""
    if name in ('joint', 'marginal', 'autoencoder'):
      return getattr(self, name)
    return jax.random.fold_in(self.autoencoder, zlib.crc32(name.encode()))


class RunResult(NamedTuple):
  metrics: dict[str, float]  # as written to metrics.json
  model: Any  # on the data (with model.wrapper set: autoencoder.on_pixels')
  params: Params  # all groups (the Wyner VAE's 'joint', 'decoders', ...)
  test_pairs: data.PairSet
  name: str  # 'lam0_seed0' (a Wyner VAE), 'seed0' (a kind without lambda)
  lam: float
  seed: int
  sides: tuple[data.Side, data.Side]  # the data's X and Y


def key_data(keys: list[jax.Array]) -> np.ndarray:
  """[S, 2] uint32 raw data of S keys: each model's key leaf of its state."""
  return np.stack([np.asarray(jax.random.key_data(k)) for k in keys])


def wrapper_phases(config: ml_collections.ConfigDict, paired: data.PairedData
                   ) -> dict[str, autoencoder.Wrapped]:
  """The wrapper's autoencoders of `config` ({} without model.wrapper)."""
  if config.model.wrapper == 'none':
    return {}
  return autoencoder.wrapper_phases(paired.x, paired.y, config.model.code_size)


class Plan(NamedTuple):
  """What a run builds once from its config and data (`make_plan`) and
  hands to each of its parts."""
  config: ml_collections.ConfigDict
  paired: data.PairedData
  specs: list[stack.ModelSpec]  # the stacked models (lambda_sweep.model_specs)
  mesh: jax.sharding.Mesh  # the models' ('sweep', 'data') mesh
  wrapped: dict[str, autoencoder.Wrapped]  # model.wrapper's; {} without
  model: Any  # the kind's model (on the data, or the wrapper's codes)
  # The model's, in training order; with loss.two_eps_sq relative to the
  # data, their losses are those of `with_likelihood`'s plan.
  model_phases: tuple[phases.Phase, ...]
  records: dict[str, checkpoints.TrainingRecord]  # per phase: what it records

  @property
  def all_phases(self) -> dict[str, phases.Phase]:
    """{phase name: phase} in training order: the wrapper's autoencoders,
    then the model's."""
    return ({name: part.phase for name, part in self.wrapped.items()}
            | {phase.name: phase for phase in self.model_phases})


def make_plan(config: ml_collections.ConfigDict,
              paired: data.PairedData) -> Plan:
  """The run's models, phases, mesh (over every device) and records, built
  once; refuses a wrapper of non-images."""
  wrapped = wrapper_phases(config, paired)
  model = phases.model_from_config(config, paired.x, paired.y)
  # A 2 eps^2 relative to the variances of what the model reads waits for
  # them (`with_likelihood`: a wrapper's codes exist once it is trained);
  # the phases' names and sections, which the records need, do not.
  model_phases = phases.model_phases(config, model)
  plan = Plan(config, paired, lambda_sweep.model_specs(config),
              sharding.make_mesh(config.lambda_sweep.sweep_devices),
              wrapped, model, model_phases, {})
  return plan._replace(records=training_records(plan))


def model_data_variances(config: ml_collections.ConfigDict,
                         model_data: data.Split) -> tuple[float, float] | None:
  """(X's, Y's) total variance of what the model reads over the train
  pairs, where loss.two_eps_sq is relative to it (None elsewhere: the
  tables are not read). DataError for a constant side."""
  if config.loss.get('two_eps_sq_unit', 'absolute') == 'absolute':
    return None
  variances = model_data.total_variances()
  for side, variance in zip(('x', 'y'), variances):
    if not variance > 0:
      raise data.DataError(
          f'side {side} is the same in every train pair (total variance '
          f'{variance}), so a 2 eps^2 relative to its variance is 0; set '
          "loss.two_eps_sq_unit='absolute' or give the side some variation")
  return variances


def with_likelihood(plan: Plan, model_data: data.Split
                    ) -> tuple[Plan, dict[str, float]]:
  """(the plan with its model's phases for `model_data`, the train pairs or
  their codes: 2 eps^2 relative to their variances where
  loss.two_eps_sq_unit says so; {'likelihood/two_eps_sq_x': ..., '_y': ...},
  the 2 eps^2 each side's decoder is trained with)."""
  variances = model_data_variances(plan.config, model_data)
  resolved = kinds.absolute_likelihood(plan.config, variances)
  x, y = kinds.likelihood_scales(resolved)
  summary = {'likelihood/two_eps_sq_x': float(x),
             'likelihood/two_eps_sq_y': float(x if y is None else y)}
  if variances is None:  # the phases of make_plan hold these already
    return plan, summary
  # `resolved` is in absolute units: model_phases takes it as it is.
  return plan._replace(model_phases=phases.model_phases(
      resolved, plan.model)), summary


def check_memory(paired: data.PairedData,
                 available: int | None = None) -> None:
  """DataError before any training when evaluating the data would need more
  memory than the machine has (`metrics.evaluation_bytes`; `available`:
  bytes, default the machine's physical memory)."""
  if available is None:
    available = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES')
  needed = metrics.evaluation_bytes(paired)
  if needed > available:
    size = lambda n: f'{n / 2**30:.1f} GiB' if n >= 2**30 else f'{n / 2**20:.1f} MiB'
    raise data.DataError(
        f'sides of {int(np.prod(paired.x.shape))} and '
        f'{int(np.prod(paired.y.shape))} values per example: evaluating '
        f'them would hold about {size(needed)} (samples and the data as '
        f"float32), more than this machine's {size(available)}; downsample "
        'the sides or use fewer pairs')


def training_records(plan: Plan) -> dict[str, checkpoints.TrainingRecord]:
  """Per phase, what its checkpoints record: the training fields, the
  config and the data's sides."""
  config, paired = plan.config, plan.paired
  whole = json.loads(config.to_json())
  sides = {'x': paired.x.to_json(), 'y': paired.y.to_json()}
  # The data themselves, beside the fields that name them: a file changed
  # under the same data.path must not resume checkpoints of the old one.
  digest = paired.digest()
  return {name: checkpoints.TrainingRecord(
      config_checks.training_fields(config, phase.section), whole, sides,
      digest, config_checks.RETIRED_FIELDS)
          for name, phase in plan.all_phases.items()}


def check_checkpoints(plan: Plan, workdir: str) -> None:
  """Refuses (CheckpointError) a workdir whose checkpoints another config
  trained; reads only, so a refused run leaves every file as it was."""
  for name, phase in plan.all_phases.items():
    checkpoints.check_resumable(checkpoints.phase_directory(workdir, name),
                                plan.records[name],
                                phase.num_steps(plan.config), phase.section)


def place(split: data.Split, mesh: jax.sharding.Mesh) -> train.PairTables:
  """A split's tables on the mesh, replicated (a table both sides share
  is placed once)."""
  shared = split.images_y is split.images_x
  tables = train.PairTables(split.images_x, None if shared else split.images_y,
                            split.index_x, split.index_y)
  placed = sharding.place(tables, sharding.replicated(mesh))
  return placed._replace(images_y=placed.images_x) if shared else placed


class Wrapper(NamedTuple):
  """The trained autoencoders of a run with model.wrapper set."""
  autoencoders: dict[str, autoencoder.ConvAutoencoder]  # per side
  params: dict[str, Params]  # per side, host arrays

  def codes(self, split: data.Split) -> data.Split:
    """`split` with each side's examples replaced by their codes (a table
    both sides share is encoded once)."""
    def of(side, images):
      encode = jax.jit(self.autoencoders[side].encode)
      return data.in_chunks(lambda rows: encode(self.params[side], rows),
                            data.as_float(images), chunk=1000)
    codes_x = of('x', split.images_x)
    shared = (split.images_y is split.images_x
              and self.autoencoders['x'] is self.autoencoders['y'])
    codes_y = codes_x if shared else of('y', split.images_y)
    return split._replace(images_x=codes_x, images_y=codes_y)


def train_wrapper(plan: Plan, workdir: str, log: train.Log | None = None,
                  may_train: bool = True) -> Wrapper | None:
  """The autoencoders of model.wrapper, trained (or restored) on the train
  pairs' images of their sides, from config.seed; None without a wrapper."""
  config, wrapped, records = plan.config, plan.wrapped, plan.records
  if not wrapped:
    return None
  keys = RunKeys.from_seed(config.seed)
  mesh = sharding.make_mesh(1)  # one autoencoder, its batch over every device
  sharding.check_divisible(1, config.batch_size, mesh)
  # A later run that would train the same autoencoders copies them from the
  # user cache (experiments/cache.py) instead; a run of several processes
  # trains its own (the copy would need a barrier between them).
  cache_keys = {name: cache.checkpoint_key(records[name].to_json(),
                                           part.phase.num_steps(config), name)
                for name, part in wrapped.items()}
  for name in wrapped:
    directory = checkpoints.phase_directory(workdir, name)
    if (may_train and jax.process_count() == 1
        and not checkpoints.saved_steps(directory)):
      cache.restore_checkpoints(directory, cache_keys[name])
  def init():
    return stack.stack([{name: part.autoencoder.init(
        jax.random.fold_in(keys.phase(name), 0))
                         for name, part in wrapped.items()}])
  trained, _ = train.train_phases(
      [part.phase for part in wrapped.values()], config, init,
      place(plan.paired.train, mesh),
      [stack.ModelSpec(0.0, config.seed)],
      {name: key_data([jax.random.fold_in(keys.phase(name), 1)])
       for name in wrapped}, mesh, workdir, records, log, may_train,
      sum(phase.num_steps(config) for phase in plan.model_phases))
  for name in wrapped:
    cache.keep_checkpoints(checkpoints.phase_directory(workdir, name),
                           cache_keys[name])
  nets, params = {}, {}
  for name, part in wrapped.items():
    for side in part.sides:
      nets[side] = part.autoencoder
      params[side] = jax.tree.map(lambda a: np.asarray(a)[0], trained[name])
  return Wrapper(nets, params)


def train_models(plan: Plan, train_split: data.Split, workdir: str,
                 log: train.Log | None = None,
                 may_train: bool = True) -> list[stack.Member]:
  """The phases of the plan's stack of models (the Wyner VAE's two, a
  baseline's one), resuming from WORKDIR/checkpoints.

  Args:
    train_split: what the model trains on (the data, or their codes).
    may_train: False: restore finished checkpoints only (evaluation).

  Returns:
    Each model (name, lambda, seed) with, as its `state`, host arrays
    {'params': every group, 'train_metrics': {phase name: {...}}} (the train
    metrics of each phase's last step).
  """
  keys = [RunKeys.from_seed(spec.seed) for spec in plan.specs]
  # One program, not op by op (dozens of tiny programs to compile).
  init = jax.jit(plan.model.init)
  trained, train_metrics = train.train_phases(
      plan.model_phases, plan.config,
      lambda: stack.stack([init(k.init) for k in keys]),
      place(train_split, plan.mesh), plan.specs,
      {phase.name: key_data([k.phase(phase.name) for k in keys])
       for phase in plan.model_phases}, plan.mesh, workdir, plan.records, log,
      may_train)
  return stack.named(plan.specs, {'params': trained,
                                  'train_metrics': train_metrics})


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                       may_train: bool = True,
                       report_test: bool = True) -> list[RunResult]:
  """Trains every model of `config` (resuming or skipping finished steps),
  evaluates each on the test pairs and writes the outputs.

  Args:
    may_train: False: evaluate finished checkpoints only (experiments.evaluate).
    report_test: False: no metric of the test pairs (label metrics,
      held-out objectives, the wrapper's reconstructions) and no figure:
      the candidates of a tuning read the validation pairs alone.

  Returns:
    One RunResult per model, in the order of `lambda_sweep.model_specs`.
  """
  config_checks.validate(config)
  config_checks.check_workdir(workdir)
  paired = sources.load(config.data)
  if paired.train.num_pairs < config.batch_size:
    raise config_checks.ConfigError(
        f'batch_size={config.batch_size} is larger than the '
        f'{paired.train.num_pairs} train pairs; use a smaller batch or more '
        'pairs')
  # Built once; refuses a wrapper of non-images up front. Its records
  # checksum the data once, for every phase.
  plan = make_plan(config, paired)
  sharding.check_divisible(len(plan.specs), config.batch_size, plan.mesh)
  check_memory(paired)
  # Before anything is written: a config that did not train these
  # checkpoints must not report their results.
  check_checkpoints(plan, workdir)
  # The caches the run will write, before it trains anything.
  cache.check_writable(cache.judge_directory(config.eval.classifier_dir),
                       'judge cache')
  if plan.wrapped:
    cache.check_writable(cache.autoencoder_directory(), 'autoencoder cache')
  writes = jax.process_index() == 0
  if writes and may_train:
    with open(os.path.join(workdir, 'config.json'), 'w') as f:
      f.write(config.to_json(indent=2))
  logging.info('data: %d train pairs, %d validation pairs, %d test pairs (%s: '
               'x %s, y %s); the train tables take %.1f MB on each device; %d '
               'model(s); mesh %s', paired.train.num_pairs,
               0 if paired.validation is None else paired.validation.num_pairs,
               paired.test.num_pairs,
               config.data.source, paired.x.shape, paired.y.shape,
               paired.train.table_bytes() / 1e6, len(plan.specs),
               dict(plan.mesh.shape))
  with train_log.TrainLog(workdir, run='autoencoder') as log:
    wrapper = train_wrapper(plan, workdir, log, may_train)
  # What the model reads: the data, or the wrapper's codes of them.
  train_split, test_split = ((paired.train, paired.test) if wrapper is None
                             else (wrapper.codes(paired.train),
                                   wrapper.codes(paired.test)))
  plan, likelihood = with_likelihood(plan, train_split)
  logging.info('2 eps^2: x %.4g, y %.4g (loss.two_eps_sq %g, unit %s)',
               likelihood['likelihood/two_eps_sq_x'],
               likelihood['likelihood/two_eps_sq_y'], config.loss.two_eps_sq,
               config.loss.get('two_eps_sq_unit', 'absolute'))
  with train_log.TrainLog(workdir) as log:
    trained = train_models(plan, train_split, workdir, log, may_train)
  logged = (train_log.read_rows(log.path,
                                [p.name for p in plan.model_phases])
            if writes else {})
  evaluation = make_evaluation(plan, wrapper, test_split, report_test)
  sweep = lambda_sweep.is_sweep(config)
  results, last_seconds = [], None
  for number, member in enumerate(trained, 1):
    logging.info('evaluating %s (%d of %d): objectives, label metrics, '
                 'figures%s', member.name, number, len(trained),
                 evaluation_eta(last_seconds, len(trained) - number + 1))
    start = time.monotonic()
    result = evaluate_member(plan, member, evaluation)
    result.metrics.update(likelihood)
    if writes:
      write_outputs(result, logged.get(member.name, {}), plan.paired,
                    os.path.join(workdir, 'models', member.name) if sweep
                    else workdir, report_test)
    results.append(result)
    last_seconds = time.monotonic() - start
  if sweep and writes:
    rows = [{'lam': r.lam, 'seed': r.seed, 'name': r.name, **r.metrics}
            for r in results]
    paths = lambda_sweep.write_results(workdir, rows)
    logging.info('wrote %s', ', '.join(paths))
  if writes:
    logging.info('%s', headline_table(results, workdir))
  return results


def evaluation_eta(last_seconds: float | None, models_left: int) -> str:
  """'; evaluation ETA ~<time> (...)': `models_left` models at the last
  model's `last_seconds` each ('' before the first is done). The first
  model's evaluation also compiles its programs, so its estimate is high
  and the next ones' nearer."""
  if last_seconds is None:
    return ''
  left = train.format_duration(models_left * last_seconds)
  return (f'; evaluation ETA ~{left} ({models_left} left at the last '
          f"model's {last_seconds:.0f} s)")


class Evaluation(NamedTuple):
  """What every model of a run is evaluated with (`make_evaluation`)."""
  judges: judges.Judges
  wrapper: Wrapper | None
  test_pairs: data.PairSet  # on the data
  test_codes: data.PairSet  # what the model reads: the data or their codes
  train_pairs: data.PairSet  # what the latent probe is fitted on
  validation_pairs: data.PairSet | None
  wrapper_metrics: dict[str, float]  # the autoencoders', the same for all
  report_test: bool  # False: validation metrics and train objectives only


def make_evaluation(plan: Plan, wrapper: Wrapper | None,
                    test_split: data.Split, report_test: bool) -> Evaluation:
  """The judges and pairs of the run's evaluation, read or built once."""
  config, paired = plan.config, plan.paired
  run_judges = judges.load_or_train(
      paired, cache.judge_directory(config.eval.classifier_dir),
      config.data.seed, config.eval.classifier_steps,
      config.eval.autoencoder_steps)
  test_pairs, test_codes = paired.test.pairs(), test_split.pairs()
  return Evaluation(
      run_judges, wrapper, test_pairs, test_codes,
      paired.train.pairs(probe_rows(paired.train)),
      None if paired.validation is None else paired.validation.pairs(),
      {} if wrapper is None or not report_test else
      wrapper_metrics(wrapper, run_judges, test_pairs, test_codes),
      report_test)


def evaluate_member(plan: Plan, member: stack.Member,
                    evaluation: Evaluation) -> RunResult:
  """One trained model's metrics: its objectives on what it models, then,
  on the data (through the wrapper, if any), the label metrics of the test
  pairs and of the validation pairs."""
  params = jax.device_put(member.state['params'])
  train_metrics = {phase: {k: float(v) for k, v in values.items()}
                   for phase, values in member.state['train_metrics'].items()}
  keys = RunKeys.from_seed(member.seed)
  metrics = _evaluate_model(
      plan, params, member.lam, keys, train_metrics,
      evaluation.test_codes if evaluation.report_test else None)
  # Labels, samples and figures are read on the data (pixels).
  wrapper = evaluation.wrapper
  if wrapper is not None:
    model_px, params_px = autoencoder.on_pixels(
        plan.model, params, wrapper.autoencoders, wrapper.params)
    metrics.update(evaluation.wrapper_metrics)
  else:
    model_px, params_px = plan.model, params
  if evaluation.report_test:
    metrics.update(label_metrics(
        model_px, params_px, evaluation.judges, plan.paired,
        evaluation.test_pairs, evaluation.train_pairs, keys.probe,
        _progress(member.name, 'test')))
  if evaluation.validation_pairs is not None:  # what model selection reads
    metrics.update(validation_metrics(
        model_px, params_px, evaluation.judges, plan.paired,
        evaluation.validation_pairs, evaluation.train_pairs, keys.probe,
        _progress(member.name, 'validation')))
  return RunResult(metrics, model_px, params_px, evaluation.test_pairs,
                   member.name, member.lam, member.seed,
                   (plan.paired.x, plan.paired.y))


def _progress(name: str, pairs: str) -> Callable[[str], None]:
  """Logs each part of a model's label metrics as it starts, with the
  seconds since the first."""
  start = time.time()
  return lambda part: logging.info('%s, label metrics of the %s pairs: %s '
                                   '(%.0f s in)', name, pairs, part,
                                   time.time() - start)


def write_outputs(result: RunResult, logged: dict, paired: data.PairedData,
                  out_dir: str, figures: bool) -> None:
  """A model's metrics.json and figures/ (the samples' figures when
  `figures`; the training curves of its `logged` rows always)."""
  os.makedirs(out_dir, exist_ok=True)
  written = [] if not figures else report.write_figures(
      result.model, result.params, result.test_pairs, paired,
      RunKeys.from_seed(result.seed).figures, os.path.join(out_dir, 'figures'))
  curves = train_log.write_training_curves(
      logged, os.path.join(out_dir, 'figures', 'training_curves.png'))
  written += [curves] if curves else []
  with open(os.path.join(out_dir, 'metrics.json'), 'w') as f:
    json.dump(result.metrics, f, indent=2, sort_keys=True)
  logging.info('%s: wrote %s and %s', result.name,
               os.path.join(out_dir, 'metrics.json'), ', '.join(written))


# The columns of the table a run ends with: (heading, metric), shown where
# the run has the metric.
HEADLINES = (
    ('Y|x acc', 'eval/accuracy_y_given_x'),
    ('X|y acc', 'eval/accuracy_x_given_y'),
    ('FD/cond Y|x', 'eval/fd_per_condition_y_given_x'),
    ('floor', 'eval/fd_per_condition_floor_y'),
    ('FD/cond X|y', 'eval/fd_per_condition_x_given_y'),
    ('floor', 'eval/fd_per_condition_floor_x'),
    ('coherence', 'eval/joint_coherence'),
    ('label H', 'eval/joint_label_entropy'),
    ('rate Z', 'eval/rate_z'),
    ('rate U', 'eval/rate_u'),
    ('rate V', 'eval/rate_v'),
)


def headline_table(results: list[RunResult], workdir: str) -> str:
  """A few lines for the end of a run: each model's headline metrics
  (`HEADLINES`, those it has) and where its files are."""
  columns = [(h, k) for h, k in HEADLINES
             if any(k in r.metrics for r in results)]
  width = max([len(r.name) for r in results] + [5])
  lines = ['results (test pairs; every metric in metrics.json):',
           '  ' + 'model'.ljust(width) + ''.join(f'  {h:>11}' for h, _ in columns)]
  for r in results:
    values = ''.join(f'  {r.metrics[k]:>11.3f}' if k in r.metrics
                     else f'  {"-":>11}' for _, k in columns)
    lines.append('  ' + r.name.ljust(width) + values)
  lines.append(f'files: {workdir} (metrics.json, figures/, checkpoints/'
               + ('; models/<model>/ per model' if len(results) > 1 else '')
               + ')')
  return '\n'.join(lines)


def validation_metrics(model, params, run_judges: judges.Judges,
                       paired: data.PairedData, validation_pairs: data.PairSet,
                       train_pairs: data.PairSet, rng: jax.Array,
                       progress: Callable[[str], None] = lambda part: None
                       ) -> dict[str, float]:
  """The label metrics on the validation pairs, named `val/...` in place of
  `eval/...` (the same key: the same draws as on the test pairs)."""
  measured = label_metrics(model, params, run_judges, paired,
                           validation_pairs, train_pairs, rng, progress)
  return {'val/' + name[len('eval/'):]: value
          for name, value in measured.items() if name.startswith('eval/')}


# The latent probe is fitted on at most this many train pairs (MNIST-SVHN
# has 1.7 million); the default's 4,000 are all of them.
PROBE_PAIRS = 10000


def probe_rows(split: data.Split) -> np.ndarray | None:
  """The train pairs the latent probe is fitted on: all, or a fixed subsample."""
  if split.num_pairs <= PROBE_PAIRS:
    return None
  return np.sort(np.random.default_rng(0).permutation(split.num_pairs)
                 [:PROBE_PAIRS])


def wrapper_metrics(wrapper: Wrapper, run_judges: judges.Judges,
                    test_pairs: data.PairSet, test_codes: data.PairSet
                    ) -> dict[str, float]:
  """How well the autoencoders keep each side's test images: squared error
  and, with labels, the judge's accuracy on the reconstructions (a ceiling
  for every label metric of the wrapped model)."""
  out = {}
  for side in ('x', 'y'):
    net, params = wrapper.autoencoders[side], wrapper.params[side]
    images, codes = getattr(test_pairs, side), getattr(test_codes, side)
    rebuilt = np.asarray(jax.jit(net.decode)(params, jnp.asarray(codes)))
    out[f'eval/autoencoder_rec_{side}'] = float(np.mean(np.sum(
        (rebuilt - images) ** 2, axis=-1)))
    labels = getattr(test_pairs, f'label_{side}')
    if labels is not None:
      out[f'eval/autoencoder_accuracy_{side}'] = float(np.mean(
          run_judges.predict(side, rebuilt) == labels))
  return out


def _evaluate_model(plan: Plan, params, lam, keys, train_metrics,
                    test_pairs) -> dict[str, float]:
  """Train and held-out objectives of one trained model, on what it models
  (the data, or the wrapper's codes), phase by phase; `test_pairs` None:
  the train objectives alone (a tuning's candidate reads no test pair)."""
  metrics, config = {}, plan.config
  for phase in plan.model_phases:
    metrics.update({f'{phase.name}/train/{k}': v
                    for k, v in train_metrics[phase.name].items()})
    if test_pairs is None:
      continue
    tau = float(latents.temperature(phase.num_steps(config), config.tau.initial,
                                    config.tau.minimum, config.tau.decay))
    held_out = heldout.evaluate_loss(
        phase.loss, phase.initial(params), phase.frozen(params), test_pairs,
        keys.eval, tau, lam if phase.name == 'joint' else 0.0)
    metrics.update({f'{phase.name}/eval/{k}': v for k, v in held_out.items()})
  return metrics
