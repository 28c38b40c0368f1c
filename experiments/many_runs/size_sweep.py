"""Sweeps over latent sizes: one full run per setting, one table and figure.

A sweep config is a run config plus `config.sweep`:
  fields: config paths set together to each value, e.g. ('model.u', 'model.v');
  settings: the values, e.g. ((0, 0), (1, 10), (2, 10));
  seeds: the seeds trained per setting, as the stacked models of one program
    (lambda_sweep.seeds of each setting's run), e.g. (0, 1, 2).
Each setting trains in WORKDIR/<name>/ (resuming like a single run), all
settings share one set of judges and, with model.wrapper set, one
autoencoder (the first setting trains it, the others copy its checkpoints,
which they may use because its record holds only what it depends on), both
through the user cache (`experiments.cache`), and the sweep writes WORKDIR/results.json (per setting:
every seed's metrics, their mean and std, `experiments.many_runs.seeds`), results.md
(the main columns as mean ± std), WORKDIR/samples.png (the first seed's
samples) and WORKDIR/metrics.png (means with ± std bars).
"""

import os
import time

from absl import logging
import jax
import ml_collections
import numpy as np

from experiments import plots
from experiments import config_checks
from experiments.many_runs import lambda_sweep
from experiments import run
from experiments.many_runs import seeds
from experiments.config_checks import ConfigError
from experiments.report import one_per_digit

CONDITION_DIGITS = (2, 7)  # the two inputs shown per setting
SAMPLES_SHOWN = 6


def setting_label(fields, value) -> str:
  sizes = '='.join(f'|{f.split(".")[-1].upper()}|' for f in fields)
  return f'{sizes}={tuple(value)}'


def setting_dirname(fields, value) -> str:
  names = ''.join(f.split('.')[-1] for f in fields)
  # (N, K) categoricals 'uv_2x10'; Gaussian (D,) 'uv_8'
  return f'{names}_{"x".join(str(v) for v in value)}'


def setting_config(config: ml_collections.ConfigDict, value
                   ) -> ml_collections.ConfigDict:
  """A copy of `config` with every field of config.sweep.fields set to `value`
  and one model per seed of config.sweep.seeds."""
  out = ml_collections.ConfigDict(config.to_dict())
  out.lambda_sweep.seeds = tuple(config.sweep.seeds)
  for path in config.sweep.fields:
    try:
      config_checks.set_field(out, path, tuple(value))
    except (ConfigError, KeyError):
      raise ConfigError(f'sweep.fields entry {path!r} is not a config field'
                        ) from None
  return out


TABLE_COLUMNS = (
    ('acc. Y given x', 'eval/accuracy_y_given_x'),
    ('acc. X given y', 'eval/accuracy_x_given_y'),
    ('var. Y given x', 'eval/variability_y_given_x'),
    ('style var. Y given x', 'eval/style_variability_y_given_x'),
    ('style var. X given y', 'eval/style_variability_x_given_y'),
    ('style transfer acc.', 'eval/style_transfer_accuracy'),
    ('style transfer var.', 'eval/style_transfer_variability'),
    ('style transfer slant corr.', 'eval/style_transfer_slant_corr'),
    ('style transfer thickness corr.', 'eval/style_transfer_thickness_corr'),
    ('joint coherence', 'eval/joint_coherence'),
    ('FD Y given x', 'eval/fd_y_given_x'),
    ('FD joint y', 'eval/fd_joint_y'),
    ('FD real', 'eval/fd_real'),
    ('probe acc.', 'eval/latent_probe_accuracy'),
    ('Z enc., V random', 'eval/accuracy_z_encoded_v_random'),
    ('Z random, V enc.', 'eval/accuracy_z_random_v_encoded'),
    ('rate Z / max', ('eval/rate_z', 'eval/rate_z_max')),
    ('rate V / max', ('eval/rate_v', 'eval/rate_v_max')),
    ('code entropy U', 'eval/code_entropy_u'),
)


def markdown_table(entries: list[dict]) -> str:
  """The main metrics of a sweep, one row per setting, as mean ± std over its
  seeds in a Markdown table."""
  return seeds.markdown_table(
      entries, 'setting',
      lambda e: e['setting'].replace('|', r'\|'),  # literal bars in a cell
      TABLE_COLUMNS)


def run_sweep(config: ml_collections.ConfigDict, workdir: str) -> list[dict]:
  """Trains and evaluates every setting; writes results.json and the figures.

  Returns:
    One entry per setting (`experiments.many_runs.seeds`): `setting`, `workdir`,
    `wall_time_s` (of this invocation: small when the setting was already
    trained), `seeds` (every seed's metrics), `mean` and `std`.
  """
  fields, values = tuple(config.sweep.fields), list(config.sweep.settings)
  if not fields or not values:
    raise ConfigError('sweep.fields and sweep.settings must both be non-empty')
  if not config.sweep.seeds:
    raise ConfigError('sweep.seeds must name at least one seed, e.g. (0, 1, 2)')
  if lambda_sweep.is_sweep(config):
    raise ConfigError('a latent-size sweep takes its seeds from sweep.seeds and '
                      'lambda from loss.lam; leave lambda_sweep.lams and '
                      'lambda_sweep.seeds empty')
  config_checks.check_workdir(workdir)
  entries, panels = run_each(
      config, workdir,
      [({'setting': setting_label(fields, value)},
        setting_dirname(fields, value), setting_config(config, value))
       for value in values], _panel)
  seeds.write_results(workdir, entries, markdown_table(entries))
  labels = [entry['setting'] for entry in entries]
  plots.sweep_samples(os.path.join(workdir, 'samples.png'), labels, panels)
  plots.sweep_metrics(os.path.join(workdir, 'metrics.png'), entries)
  logging.info('wrote %s', os.path.join(workdir, 'results.json'))
  return entries


def run_each(config: ml_collections.ConfigDict, workdir: str,
             runs: list[tuple[dict, str, ml_collections.ConfigDict]],
             panel) -> tuple[list[dict], list]:
  """Trains and evaluates the runs of a sweep in turn, each in its own
  WORKDIR/<name>/, all with one set of judges and, with model.wrapper set,
  the autoencoder the first run trains (both from `experiments.cache`).

  Args:
    runs: per run, (the labels of its entry, e.g. {'setting': ...}, its
      sub-directory's name, its config).
    panel: panel(first model's RunResult, key) -> its part of the figure.

  Returns:
    (one `experiments.many_runs.seeds` entry per run: the labels, `workdir`,
    `wall_time_s` of this invocation, `seeds`, `mean`, `std`; the panels).
  """
  entries, panels = [], []
  for i, (labels, name, run_config) in enumerate(runs):
    run_dir = os.path.join(workdir, name)
    logging.info('sweep run %d/%d: %s -> %s', i + 1, len(runs),
                 ', '.join(map(str, labels.values())), run_dir)
    start = time.time()
    results = run.train_and_evaluate(run_config, run_dir)
    entries.append(seeds.setting_entry(
        [{'seed': r.seed, **r.metrics} for r in results], **labels,
        workdir=run_dir, wall_time_s=time.time() - start))
    panels.append(panel(results[0], jax.random.key(config.seed)))
  return entries, panels


def _panel(result: run.RunResult, rng: jax.Array):
  """Conditional samples for two test inputs and style transfer of two styles."""
  pairs, model, params = result.test_pairs, result.model, result.params
  key_cond, key_style = jax.random.split(rng)
  index = one_per_digit(pairs)[list(CONDITION_DIGITS)]
  x = pairs.x[index]
  y_samples = np.asarray(model.conditional(params, key_cond, x, 'x',
                                          SAMPLES_SHOWN))
  shape_x, shape_y = (side.shape for side in result.sides)
  conditional = plots.beside(plots.cells(x[:, None], shape_x),
                             plots.cells(y_samples, shape_y))
  concepts = pairs.y[one_per_digit(pairs)[:SAMPLES_SHOWN]]
  styles = pairs.x[one_per_digit(pairs)[[0, 8]]]
  if 'transfer' not in model.CAN:  # a baseline without private latents: blank
    blank = np.full_like(conditional[0][0], plots.BACKGROUND)
    return conditional, [[blank]]
  grid = np.asarray(model.transfer(params, key_style, styles, concepts))
  transfer = plots.beside(plots.cells(styles[:, None], shape_x),
                          plots.cells(grid, shape_x))
  return conditional, transfer
