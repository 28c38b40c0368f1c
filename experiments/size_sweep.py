"""Sweeps over latent sizes: one full run per setting, one table and figure.

A sweep config is a run config plus `config.sweep`:
  fields: config paths set together to each value, e.g. ('model.u', 'model.v');
  settings: the values, e.g. ((0, 0), (1, 10), (2, 10)).
Each setting trains in WORKDIR/<name>/ (resuming like a single run), all
settings share one judging classifier (eval.classifier_dir, by default
WORKDIR/classifier/), and the sweep
writes WORKDIR/results.json (and results.md, its main columns as a table),
WORKDIR/samples.png and WORKDIR/metrics.png.
"""

import json
import os
import time

from absl import logging
import jax
import ml_collections
import numpy as np

from experiments import plots
from wyner_jax import sampling
from experiments import config_checks
from experiments import lambda_sweep
from experiments import run
from experiments.config_checks import ConfigError
from experiments.report import one_per_digit

CONDITION_DIGITS = (2, 7)  # the two inputs shown per setting
SAMPLES_SHOWN = 6


def setting_label(fields, value) -> str:
  sizes = '='.join(f'|{f.split(".")[-1].upper()}|' for f in fields)
  return f'{sizes}={tuple(value)}'


def setting_dirname(fields, value) -> str:
  names = ''.join(f.split('.')[-1] for f in fields)
  return f'{names}_{value[0]}x{value[1]}'


def setting_config(config: ml_collections.ConfigDict, value
                   ) -> ml_collections.ConfigDict:
  """A copy of `config` with every field of config.sweep.fields set to `value`."""
  out = ml_collections.ConfigDict(config.to_dict())
  for path in config.sweep.fields:
    node = out
    *parents, leaf = path.split('.')
    for name in parents:
      node = node[name]
    if leaf not in node:
      raise ConfigError(f'sweep.fields entry {path!r} is not a config field')
    node[leaf] = tuple(value)
  return out


TABLE_COLUMNS = (
    ('acc. Y given x', 'eval/accuracy_y_given_x'),
    ('acc. X given y', 'eval/accuracy_x_given_y'),
    ('var. Y given x', 'eval/variability_y_given_x'),
    ('style var. Y given x', 'eval/style_variability_y_given_x'),
    ('style var. X given y', 'eval/style_variability_x_given_y'),
    ('style transfer acc.', 'eval/style_transfer_accuracy'),
    ('style transfer var.', 'eval/style_transfer_variability'),
    ('joint coherence', 'eval/joint_coherence'),
    ('probe acc.', 'eval/latent_probe_accuracy'),
    ('Z enc., V random', 'eval/accuracy_z_encoded_v_random'),
    ('Z random, V enc.', 'eval/accuracy_z_random_v_encoded'),
    ('rate Z / max', ('eval/rate_z', 'eval/rate_z_max')),
    ('rate V / max', ('eval/rate_v', 'eval/rate_v_max')),
)


def markdown_table(rows: list[dict]) -> str:
  """The main metrics of a sweep, one row per setting, as a Markdown table."""
  def cell(row, key):
    if isinstance(key, tuple):  # value / maximum; Gaussian rates have none
      maximum = f'{row[key[1]]:.2f}' if key[1] in row else 'none'
      return f'{row[key[0]]:.2f} / {maximum}'
    return f'{row[key]:.3f}'
  lines = ['| setting | ' + ' | '.join(name for name, _ in TABLE_COLUMNS) + ' |',
           '|---' * (len(TABLE_COLUMNS) + 1) + '|']
  for row in rows:
    setting = row['setting'].replace('|', r'\|')  # literal bars in a cell
    lines.append(f'| {setting} | ' + ' | '.join(
        cell(row, key) for _, key in TABLE_COLUMNS) + ' |')
  return '\n'.join(lines) + '\n'


def run_sweep(config: ml_collections.ConfigDict, workdir: str) -> list[dict]:
  """Trains and evaluates every setting; writes results.json and the figures.

  Returns:
    One row per setting: `setting`, `workdir`, `wall_time_s` (of this
    invocation: small when the setting was already trained) and every metric.
  """
  fields, values = tuple(config.sweep.fields), list(config.sweep.settings)
  if not fields or not values:
    raise ConfigError('sweep.fields and sweep.settings must both be non-empty')
  if lambda_sweep.is_sweep(config):
    raise ConfigError('a latent-size sweep trains one model per setting; leave '
                      'lambda_sweep.lams and lambda_sweep.seeds empty')
  config_checks.check_workdir(workdir)
  rows, panels = [], []
  for i, value in enumerate(values):
    run_config = setting_config(config, value)
    # One judging classifier for every setting (the config's cache if given).
    run_config.eval.classifier_dir = (config.eval.classifier_dir
                                      or os.path.join(workdir, 'classifier'))
    run_dir = os.path.join(workdir, setting_dirname(fields, value))
    logging.info('sweep setting %d/%d: %s -> %s', i + 1, len(values),
                 setting_label(fields, value), run_dir)
    start = time.time()
    result, = run.train_and_evaluate(run_config, run_dir)
    rows.append({'setting': setting_label(fields, value), 'workdir': run_dir,
                 'wall_time_s': time.time() - start, **result.metrics})
    panels.append(_panel(result, jax.random.key(config.seed)))
  with open(os.path.join(workdir, 'results.json'), 'w') as f:
    json.dump(rows, f, indent=2)
  with open(os.path.join(workdir, 'results.md'), 'w') as f:
    f.write(markdown_table(rows))
  labels = [row['setting'] for row in rows]
  plots.sweep_samples(os.path.join(workdir, 'samples.png'), labels, panels)
  plots.sweep_metrics(os.path.join(workdir, 'metrics.png'), rows)
  logging.info('wrote %s', os.path.join(workdir, 'results.json'))
  return rows


def _panel(result: run.RunResult, rng: jax.Array):
  """Conditional samples for two test inputs and style transfer of two styles."""
  pairs, model, params = result.test_pairs, result.model, result.params
  key_cond, key_style = jax.random.split(rng)
  index = one_per_digit(pairs)[list(CONDITION_DIGITS)]
  x = pairs.x[index]
  y_samples = np.asarray(sampling.y_given_x(model, params, key_cond, x,
                                            SAMPLES_SHOWN))
  conditional = np.concatenate([x[:, None], y_samples], 1)  # [2, 1+S, D]
  concepts = pairs.y[one_per_digit(pairs)[:SAMPLES_SHOWN]]
  styles = pairs.x[one_per_digit(pairs)[[0, 8]]]
  grid = np.asarray(sampling.style_transfer(model, params, key_style, styles,
                                            concepts))
  transfer = np.concatenate([styles[:, None], grid], 1)  # [2, 1+S, D]
  return conditional, transfer
