"""Equal-budget tuning of several model kinds on one data pair (launcher:
experiments/tune.py).

A tuning config is a run config plus `config.tune`:
  kinds: the model kinds tuned, e.g. ('wyner', 'cvae', 'mmvae');
  candidates: N, the configurations drawn for every kind, each option of
    each dimension of the kind's search space (its `Kind.search_space`)
    drawn independently with `draw_seed` (the first candidate of every kind
    is the config itself, so the tuning never loses to its starting point);
  candidate_scale: the fraction of joint.num_steps and marginal.num_steps a
    candidate trains (a baseline's one phase takes their sum: the same
    optimizer steps for every kind);
  seeds: the seeds the selected configuration of each kind is trained with
    at full length, reported on the test pairs.
data.validation_fraction must be > 0: a candidate trains with config.seed
and is measured on the validation pairs alone (`val/...`; no test metric,
no figure), and selection reads only those.

The selection rule, one for every kind: the candidates whose mean
validation accuracy ((Y given x + X given y) / 2) lies within
ACCURACY_TOLERANCE of the kind's best, and among them the one of least
per-condition FD relative to its floor (the mean over both directions of
val/<reading>fd_per_condition_<direction> / its floor, in the feature
autoencoder's reading where there is one, else the classifier's).

Writes WORKDIR/<kind>/candidate<i>/ (a run each, resumed or read back when
rerun), WORKDIR/<kind>/final/ (the selected configuration, config.tune.seeds
stacked), and WORKDIR/tuning.json (every candidate's setting and validation
metrics, the selection, each kind's finals: every seed's test metrics, their
mean and std), tuning.md (the table) and tuning.png (every candidate's
validation accuracy against its FD ratio, per kind: the frontier and the
selected one marked).
"""

import json
import os
import time

from absl import logging
import ml_collections
import numpy as np

from experiments.many_runs import comparison
from experiments import config_checks
from experiments.many_runs import lambda_sweep
from experiments import plots
from experiments import run
from experiments.many_runs import seeds
from experiments.config_checks import ConfigError
from wyner_jax import phases

ACCURACY_TOLERANCE = 0.03


def check(config: ml_collections.ConfigDict) -> None:
  tune = config.tune
  comparison.check_kinds('tune.kinds', tune.kinds)
  if not (isinstance(tune.candidates, int) and tune.candidates >= 1):
    raise ConfigError(f'tune.candidates={tune.candidates!r} is not allowed; '
                      'use an int >= 1')
  if not 0.0 < tune.candidate_scale <= 1.0:
    raise ConfigError(f'tune.candidate_scale={tune.candidate_scale!r} is not '
                      'allowed; use a number in (0, 1]')
  if not tune.seeds:
    raise ConfigError('tune.seeds must name at least one seed, e.g. (0, 1, 2)')
  if not config.data.validation_fraction:
    raise ConfigError('data.validation_fraction=0 is not allowed for a tuning; '
                      'selection reads a validation split: use e.g. 0.1')
  if lambda_sweep.is_sweep(config):
    raise ConfigError('a tuning takes its seeds from tune.seeds; leave '
                      'lambda_sweep.lams and lambda_sweep.seeds empty')


def settings(kind: str, number: int, draw_seed: int) -> list[dict]:
  """`number` settings {config path: value} of `kind`: the first {} (the
  config as it is), the others one option per dimension of its space,
  distinct (a repeat would spend the budget on a setting already tried;
  fewer only when the space has fewer)."""
  space = phases.REGISTRY[kind].search_space
  rng = np.random.default_rng([draw_seed, list(phases.REGISTRY).index(kind)])
  size = int(np.prod([len(options) for _, options in space]))
  out, seen = [{}], set()
  while len(out) < min(number, size + 1):
    choice = tuple(int(rng.integers(len(options))) for _, options in space)
    if choice in seen:
      continue
    seen.add(choice)
    setting = {}
    for (_, options), index in zip(space, choice):
      setting |= options[index]
    out.append(setting)
  return out


def with_setting(config: ml_collections.ConfigDict, kind: str, setting: dict,
                 scale: float = 1.0) -> ml_collections.ConfigDict:
  """A run config: `config` for `kind` with `setting` applied and its Wyner
  steps scaled by `scale`, without the tuning section."""
  out = ml_collections.ConfigDict(config.to_dict())
  del out['tune']
  out.model.kind = kind
  for path, value in setting.items():
    config_checks.set_field(out, path, value)
  for phase in ('joint', 'marginal'):
    out[phase].num_steps = max(1, int(round(out[phase].num_steps * scale)))
  return out


def fd_ratio(metrics: dict, prefix: str = 'val/') -> float:
  """Mean over both directions of the per-condition FD over its floor, in
  the feature autoencoder's reading where measured; NaN when absent."""
  for reading in ('ae_', ''):
    pairs = [(f'{prefix}{reading}fd_per_condition_{d}',
              f'{prefix}{reading}fd_per_condition_floor_{side}')
             for d, side in (('y_given_x', 'y'), ('x_given_y', 'x'))]
    if all(a in metrics and b in metrics for a, b in pairs):
      return float(np.mean([metrics[a] / metrics[b] for a, b in pairs]))
  return float('nan')


def mean_accuracy(metrics: dict, prefix: str = 'val/') -> float:
  return float(np.mean([metrics[f'{prefix}accuracy_y_given_x'],
                        metrics[f'{prefix}accuracy_x_given_y']]))


def select(candidates: list[dict]) -> int:
  """Index of the selected candidate (module docstring); each candidate
  has 'accuracy' and 'fd_ratio' (validation)."""
  best = max(c['accuracy'] for c in candidates)
  close = [i for i, c in enumerate(candidates)
           if c['accuracy'] >= best - ACCURACY_TOLERANCE]
  return min(close, key=lambda i: (np.nan_to_num(candidates[i]['fd_ratio'],
                                                 nan=np.inf),
                                   -candidates[i]['accuracy']))


def _candidate(config, kind, index, setting, workdir) -> dict:
  """Trains (or reads back) one candidate and returns its entry."""
  run_config = with_setting(config, kind, setting, config.tune.candidate_scale)
  directory = os.path.join(workdir, kind, f'candidate{index}')
  metrics_path = os.path.join(directory, 'metrics.json')
  config_path = os.path.join(directory, 'config.json')
  if os.path.exists(metrics_path) and os.path.exists(config_path):
    with open(config_path) as f:
      done = json.load(f) == json.loads(run_config.to_json())
  else:
    done = False
  if done:
    with open(metrics_path) as f:
      metrics = json.load(f)
  else:
    metrics = run.train_and_evaluate(run_config, directory,
                                     report_test=False)[0].metrics
  val = {k: v for k, v in metrics.items() if k.startswith('val/')}
  return {'index': index, 'setting': setting, 'workdir': directory,
          'accuracy': mean_accuracy(val), 'fd_ratio': fd_ratio(val),
          'validation': val}


def run_tuning(config: ml_collections.ConfigDict, workdir: str) -> dict:
  """Tunes every kind of config.tune.kinds, then trains each one's selected
  configuration with config.tune.seeds; writes tuning.json, tuning.md and
  tuning.png. Returns what tuning.json holds."""
  check(config)
  config_checks.check_workdir(workdir)
  tune = config.tune
  out = {'selection': f'mean validation accuracy within {ACCURACY_TOLERANCE} '
                      "of the kind's best, then least per-condition FD / floor",
         'candidates': tune.candidates,
         'candidate_scale': tune.candidate_scale, 'kinds': {}}
  total = len(tune.kinds) * tune.candidates
  start, done = time.time(), 0
  for kind in tune.kinds:
    candidates = []
    for index, setting in enumerate(settings(kind, tune.candidates,
                                             tune.draw_seed)):
      logging.info('tuning %s: candidate %d/%d %s', kind, index + 1,
                   tune.candidates, setting or '(the config)')
      candidates.append(_candidate(config, kind, index, setting, workdir))
      done += 1
      logging.info('tuning %s: candidate %d: val accuracy %.3f, FD ratio '
                   '%.2f; %d/%d candidates in %.0f s', kind, index + 1,
                   candidates[-1]['accuracy'], candidates[-1]['fd_ratio'],
                   done, total, time.time() - start)
    chosen = select(candidates)
    final_config = with_setting(config, kind, candidates[chosen]['setting'])
    final_config.lambda_sweep.seeds = tuple(tune.seeds)
    logging.info('tuning %s: selected candidate %d; training it with seeds %s',
                 kind, chosen + 1, tuple(tune.seeds))
    results = run.train_and_evaluate(final_config,
                                     os.path.join(workdir, kind, 'final'))
    final = seeds.setting_entry([{'seed': r.seed, **r.metrics}
                                 for r in results], kind=kind)
    out['kinds'][kind] = {'candidates': candidates, 'selected': chosen,
                          'final': final}
  _write(workdir, out)
  return out


def markdown_table(out: dict) -> str:
  finals = [entry['final'] for entry in out['kinds'].values()]
  lines = [f"Selection: {out['selection']}; {out['candidates']} candidates "
           f"per kind at {out['candidate_scale']} of the final steps.", '',
           '| model | selected setting |', '|---|---|']
  for kind, entry in out['kinds'].items():
    setting = entry['candidates'][entry['selected']]['setting']
    lines.append(f'| {kind} | {setting or "the config"} |')
  return '\n'.join(lines) + '\n\n' + seeds.markdown_table(
      finals, 'model', lambda e: e['kind'], comparison.TABLE_COLUMNS)


def _write(workdir: str, out: dict) -> None:
  with open(os.path.join(workdir, 'tuning.json'), 'w') as f:
    json.dump(out, f, indent=2, default=str)
  with open(os.path.join(workdir, 'tuning.md'), 'w') as f:
    f.write(markdown_table(out))
  frontier_figure(os.path.join(workdir, 'tuning.png'), out)
  logging.info('wrote %s', ', '.join(os.path.join(workdir, name) for name in
                                     ('tuning.json', 'tuning.md', 'tuning.png')))


def frontier(points: np.ndarray) -> np.ndarray:
  """Indices of the [n, 2] (accuracy, FD ratio) points no other point beats
  in both (higher accuracy, lower ratio), by accuracy."""
  keep = [i for i, (acc, fd) in enumerate(points)
          if not any((a >= acc and f <= fd) and (a > acc or f < fd)
                     for a, f in points)]
  return np.array(sorted(keep, key=lambda i: points[i, 0]), int)


def frontier_figure(path: str, out: dict) -> None:
  fig, ax = plots.figure(figsize=(6, 4.5))
  for kind, entry in out['kinds'].items():
    points = np.array([[c['accuracy'], c['fd_ratio']]
                       for c in entry['candidates']])
    shown = ax.scatter(points[:, 0], points[:, 1], s=18, alpha=0.6, label=kind)
    finite = np.isfinite(points).all(1)
    if finite.any():
      edge = np.flatnonzero(finite)[frontier(points[finite])]
      ax.plot(points[edge, 0], points[edge, 1], color=shown.get_facecolor()[0],
              lw=1)
    chosen = points[entry['selected']]
    ax.scatter(*chosen, marker='*', s=180, color=shown.get_facecolor()[0],
               edgecolor='black')
  ax.set_xlabel('validation accuracy, mean of Y given x and X given y')
  ax.set_ylabel('validation per-condition FD / floor')
  ax.set_title('every candidate; lines: each kind\'s frontier; stars: selected')
  ax.legend(fontsize=8)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
