"""Lambda (and seed) sweeps trained as one program: which models, their names
and the sweep's results table and figure.

config.lambda_sweep:
  lams: one lambda per model; () = every model uses loss.lam.
  seeds: one seed per model; () = every model uses config.seed.
  sweep_devices: size of the mesh's 'sweep' axis (models spread over devices).
With both lists empty the run trains a single model.
"""

import os

import ml_collections

from experiments import plots
from experiments.many_runs import seeds
from wyner_jax import phases
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
  if not phases.kind_of(config).weighs_lambda:
    return [ModelSpec(None, int(seed)) for seed in seeds]
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
    ('style transfer slant corr.', 'eval/style_transfer_slant_corr'),
    ('joint coherence', 'eval/joint_coherence'),
    ('code entropy U', 'eval/code_entropy_u'),
)


def by_lambda(rows: list[dict]) -> list[dict]:
  """One results.json entry per lambda (in order of first appearance): every
  seed's row (`experiments.many_runs.seeds`) and their mean and std."""
  lams = list(dict.fromkeys(row['lam'] for row in rows))
  return [seeds.setting_entry([row for row in rows if row['lam'] == lam], lam=lam)
          for lam in lams]


def markdown_table(entries: list[dict]) -> str:
  """One row per lambda: its seeds and the main metrics as mean ± std over
  them (rates in nats)."""
  return seeds.markdown_table(
      entries, 'λ', lambda e: '–' if e['lam'] is None else f'{e["lam"]:g}',
      TABLE_COLUMNS)


def write_results(workdir: str, rows: list[dict]) -> list[str]:
  """Writes results.json (per lambda: every seed's metrics, mean and std),
  results.md and lambda_sweep.png (not for a kind without lambda: its
  rows' lam is None, one entry).

  Args:
    rows: one per model: 'lam', 'seed', 'name' and its metrics.
  """
  entries = by_lambda(rows)
  paths = seeds.write_results(workdir, entries, markdown_table(entries))
  if entries[0]['lam'] is None:  # the seeds of a kind without lambda: no curve
    return paths
  paths.append(os.path.join(workdir, 'lambda_sweep.png'))
  plots.lambda_sweep(paths[-1], entries)
  return paths
