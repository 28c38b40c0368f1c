"""Lambda (and seed) sweeps trained as one program: which models, their names
and the sweep's results table and figure.

config.lambda_sweep:
  lams: one lambda per model; () = every model uses loss.lam.
  seeds: one seed per model; () = every model uses config.seed.
  sweep_devices: size of the mesh's 'sweep' axis (models spread over devices).
With both lists empty the run trains a single model.
"""

import json
import os

import ml_collections

from experiments import plots
from wyner_jax.stack import ModelSpec


def is_sweep(config: ml_collections.ConfigDict) -> bool:
  return bool(config.lambda_sweep.lams or config.lambda_sweep.seeds)


def model_specs(config: ml_collections.ConfigDict) -> list[ModelSpec]:
  """The models a config trains together (validated by config_checks)."""
  lams = tuple(config.lambda_sweep.lams)
  seeds = tuple(config.lambda_sweep.seeds)
  count = max(len(lams), len(seeds), 1)
  lams = lams or (config.loss.lam,) * count
  seeds = seeds or (config.seed,) * count
  return [ModelSpec(float(lam), int(seed)) for lam, seed in zip(lams, seeds)]


TABLE_COLUMNS = (
    ('rate Z', 'joint/eval/kl/z'),
    ('rate U', 'joint/eval/kl/u'),
    ('rate V', 'joint/eval/kl/v'),
    ('rec. x', 'joint/eval/rec/x'),
    ('rec. y', 'joint/eval/rec/y'),
    ('acc. joint rec.', 'eval/accuracy_joint_reconstruction'),
    ('acc. Y given x', 'eval/accuracy_y_given_x'),
    ('acc. X given y', 'eval/accuracy_x_given_y'),
    ('Z enc., V random', 'eval/accuracy_z_encoded_v_random'),
    ('Z random, V enc.', 'eval/accuracy_z_random_v_encoded'),
    ('style var. Y given x', 'eval/style_variability_y_given_x'),
)


def markdown_table(rows: list[dict]) -> str:
  """One row per model: lambda, seed and the main metrics (rates in nats)."""
  lines = ['| λ | seed | ' + ' | '.join(n for n, _ in TABLE_COLUMNS) + ' |',
           '|---' * (len(TABLE_COLUMNS) + 2) + '|']
  for row in rows:
    cells = ' | '.join(f'{row[key]:.3f}' for _, key in TABLE_COLUMNS)
    lines.append(f'| {row["lam"]:g} | {row["seed"]} | {cells} |')
  return '\n'.join(lines) + '\n'


def write_results(workdir: str, rows: list[dict]) -> list[str]:
  """Writes results.json (all metrics per model), results.md and lambda_sweep.png."""
  paths = [os.path.join(workdir, name) for name in
           ('results.json', 'results.md', 'lambda_sweep.png')]
  with open(paths[0], 'w') as f:
    json.dump(rows, f, indent=2)
  with open(paths[1], 'w') as f:
    f.write(markdown_table(rows))
  plots.lambda_sweep(paths[2], rows)
  return paths
