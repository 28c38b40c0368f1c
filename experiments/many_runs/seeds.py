"""Seeds as error bars: results of several seeds of one setting, summarised.

A setting (a lambda, a latent size) trained with several seeds is one entry
of a sweep's results.json:

    {..., 'seeds': [{'seed': 0, metric: value, ...}, ...],
     'mean': {metric: mean over seeds}, 'std': {metric: std over seeds}}

The standard deviation is the sample one (ddof = 1), 0 for a single seed.
Tables print `mean ± std`; a difference between settings smaller than the
std is not a finding.
"""

import json
import os

import numpy as np

LABELS = ('seed', 'lam')  # numbers that name a model, not metrics of it


def summarize(per_seed: list[dict]) -> dict[str, dict[str, float]]:
  """{'mean': ..., 'std': ...} over the numeric entries shared by every seed."""
  if not per_seed:
    raise ValueError('no seeds to summarize')
  keys = [k for k, v in per_seed[0].items()
          if k not in LABELS and isinstance(v, (int, float))
          and not isinstance(v, bool)
          and all(k in row for row in per_seed)]
  values = {k: np.array([row[k] for row in per_seed], np.float64) for k in keys}
  ddof = 1 if len(per_seed) > 1 else 0
  return {'mean': {k: float(np.mean(v)) for k, v in values.items()},
          'std': {k: float(np.std(v, ddof=ddof)) for k, v in values.items()}}


def setting_entry(per_seed: list[dict], **labels) -> dict:
  """One results.json entry: the labels, every seed's row and their summary."""
  return {**labels, 'seeds': per_seed, **summarize(per_seed)}


def seed_list(entry: dict) -> str:
  """'0, 1, 2': the seeds of an entry, for a table's seeds column."""
  return ', '.join(str(row['seed']) for row in entry['seeds'])


def mean_std(entry: dict, key: str, digits: int = 3) -> str:
  """'0.743 ± 0.020' of one metric of an entry; 'n/a' where it is missing
  (e.g. no rate maximum for Gaussian latents)."""
  if key not in entry['mean']:
    return 'n/a'
  return f"{entry['mean'][key]:.{digits}f} ± {entry['std'][key]:.{digits}f}"


def cell(entry: dict, key) -> str:
  """A table cell: `mean_std` of a metric, or for a (value, maximum) pair of
  keys 'value / maximum' (a Gaussian rate has no maximum: 'none')."""
  if isinstance(key, tuple):
    maximum = (f"{entry['mean'][key[1]]:.2f}" if key[1] in entry['mean']
               else 'none')
    return f'{mean_std(entry, key[0], digits=2)} / {maximum}'
  return mean_std(entry, key)


def markdown_table(entries: list[dict], header: str, label,
                   columns: tuple) -> str:
  """One row per setting: its label (`label(entry)`, under `header`), its
  seeds and each of `columns` ((name, key) pairs) as mean ± std."""
  lines = [f'| {header} | seeds | ' + ' | '.join(n for n, _ in columns) + ' |',
           '|---' * (len(columns) + 2) + '|']
  for entry in entries:
    cells = ' | '.join(cell(entry, key) for _, key in columns)
    lines.append(f'| {label(entry)} | {seed_list(entry)} | {cells} |')
  return '\n'.join(lines) + '\n'


def write_results(workdir: str, entries: list[dict], table: str) -> list[str]:
  """Writes a sweep's results.json (the entries) and results.md (`table`)."""
  paths = [os.path.join(workdir, 'results.json'),
           os.path.join(workdir, 'results.md')]
  with open(paths[0], 'w') as f:
    json.dump(entries, f, indent=2)
  with open(paths[1], 'w') as f:
    f.write(table)
  return paths
