"""The Wyner VAE against the models it is compared with, on one data pair
(launcher: experiments/compare.py).

A comparison config is a run config plus `config.compare`:
  kinds: the models (`config.model.kind`), e.g. ('wyner', 'jmvae', ...);
  seeds: the seeds trained per model, the stacked models of one program
    (each kind's lambda_sweep.seeds), e.g. (0, 1, 2).
Every kind trains with the config's networks, wrapper, data, batch,
optimizer and steps (a baseline's one phase takes the Wyner VAE's two
steps' together, `wyner_jax.phases.model_phases`) in WORKDIR/<kind>/,
resuming like a single run; all share one set of judges and, with
model.wrapper set, one trained autoencoder (the first kind trains it), both
through the user cache (`experiments.cache`). The comparison writes WORKDIR/results.json
(per kind: every seed's metrics, their mean and std, `experiments.many_runs.seeds`),
results.md (the table, mean ± std; a metric a model cannot have reads
n/a) and comparison.png (each model's conditional samples, first seed, for
the same test inputs).
"""

import os

from absl import logging
import jax
import ml_collections
import numpy as np

from experiments import config_checks
from experiments.many_runs import lambda_sweep
from experiments import plots
from experiments import run
from experiments.many_runs import seeds
from experiments.many_runs import size_sweep
from experiments.config_checks import ConfigError
from experiments.report import one_per_digit
from wyner_jax import phases

TABLE_COLUMNS = (
    ('acc. Y given x', 'eval/accuracy_y_given_x'),
    ('acc. X given y', 'eval/accuracy_x_given_y'),
    ('joint coherence', 'eval/joint_coherence'),
    ('FD Y given x', 'eval/fd_y_given_x'),
    ('FD X given y', 'eval/fd_x_given_y'),
    ('FD joint y', 'eval/fd_joint_y'),
    ('FD/cond. Y given x', 'eval/fd_per_condition_y_given_x'),
    ('FD/cond. X given y', 'eval/fd_per_condition_x_given_y'),
    ('AE FD/cond. Y given x', 'eval/ae_fd_per_condition_y_given_x'),
    ('AE FD/cond. X given y', 'eval/ae_fd_per_condition_x_given_y'),
    ('AE FD Y given x', 'eval/ae_fd_y_given_x'),
    ('AE FD X given y', 'eval/ae_fd_x_given_y'),
    ('var. Y given x', 'eval/variability_y_given_x'),
    ('var. X given y', 'eval/variability_x_given_y'),
    ('style transfer acc.', 'eval/style_transfer_accuracy'),
    ('slant corr.', 'eval/style_transfer_slant_corr'),
    ('thickness corr.', 'eval/style_transfer_thickness_corr'),
    ('probe acc.', 'eval/latent_probe_accuracy'),
    ('rate Z', 'eval/rate_z'),
)
CONDITIONS = 5  # test inputs shown per direction in comparison.png
SAMPLES_SHOWN = 3


def kind_config(config: ml_collections.ConfigDict, kind: str
                ) -> ml_collections.ConfigDict:
  """A copy of `config` for one model kind, one model per seed of
  config.compare.seeds."""
  out = ml_collections.ConfigDict(config.to_dict())
  out.model.kind = kind
  out.lambda_sweep.seeds = tuple(config.compare.seeds)
  return out


def check_kinds(field: str, kinds) -> None:
  """Refuses `kinds` (the value of config field `field`) unless they are
  distinct model kinds, at least one."""
  kinds = tuple(kinds)
  if not kinds or any(k not in phases.KINDS for k in kinds) or len(
      set(kinds)) < len(kinds):
    raise ConfigError(f'{field}={kinds!r} is not allowed; give distinct '
                      f'model kinds of {", ".join(phases.KINDS)}')


def check(config: ml_collections.ConfigDict) -> None:
  compared_seeds = config.compare.seeds
  check_kinds('compare.kinds', config.compare.kinds)
  if not compared_seeds:
    raise ConfigError('compare.seeds must name at least one seed, e.g. (0, 1, 2)')
  if lambda_sweep.is_sweep(config):
    raise ConfigError('a comparison takes its seeds from compare.seeds and '
                      'lambda from loss.lam; leave lambda_sweep.lams and '
                      'lambda_sweep.seeds empty')


def markdown_table(entries: list[dict]) -> str:
  return seeds.markdown_table(entries, 'model', lambda e: e['kind'],
                              TABLE_COLUMNS)


def run_comparison(config: ml_collections.ConfigDict, workdir: str
                   ) -> list[dict]:
  """Trains and evaluates every kind; writes results.json, results.md and
  comparison.png.

  Returns:
    One entry per kind (`experiments.many_runs.seeds`): `kind`, `workdir`,
    `wall_time_s` (of this invocation), `seeds`, `mean`, `std`.
  """
  check(config)
  config_checks.check_workdir(workdir)
  kinds = tuple(config.compare.kinds)
  entries, panels = size_sweep.run_each(
      config, workdir,
      [({'kind': kind}, kind, kind_config(config, kind)) for kind in kinds],
      _panel)
  seeds.write_results(workdir, entries, markdown_table(entries))
  plots.comparison(os.path.join(workdir, 'comparison.png'), list(kinds),
                   panels)
  logging.info('wrote %s', ', '.join(
      os.path.join(workdir, name)
      for name in ('results.json', 'results.md', 'comparison.png')))
  return entries


def _panel(result: run.RunResult, rng: jax.Array):
  """Samples of Y given the first CONDITIONS test inputs of distinct labels,
  and of X given their y: the same inputs for every model (same data,
  same test pairs)."""
  pairs, model, params = result.test_pairs, result.model, result.params
  index = one_per_digit(pairs)[:CONDITIONS]
  shape_x, shape_y = (side.shape for side in result.sides)
  key_y, key_x = jax.random.split(rng)
  y_samples = np.asarray(model.conditional(params, key_y, pairs.x[index], 'x',
                                           SAMPLES_SHOWN))
  x_samples = np.asarray(model.conditional(params, key_x, pairs.y[index], 'y',
                                           SAMPLES_SHOWN))
  return (plots.beside(plots.cells(pairs.x[index][:, None], shape_x),
                       plots.cells(y_samples, shape_y)),
          plots.beside(plots.cells(pairs.y[index][:, None], shape_y),
                       plots.cells(x_samples, shape_x)))
