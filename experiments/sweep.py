r"""Runs a sweep of latent sizes and writes one results table and figure.

  python -m experiments.sweep --config=configs/sweep_z.py --workdir=/tmp/sweep_z
  python -m experiments.sweep --config=configs/sweep_uv.py --workdir=/tmp/sweep_uv

Re-running resumes: finished settings are restored, not retrained.
"""

from absl import flags
from ml_collections import config_flags

from experiments import cli
from experiments.many_runs import size_sweep

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Sweep config, e.g. configs/sweep_z.py.', lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', '/tmp/wyner_sweep',
                               'Directory of the sweep (one sub-directory per setting).')
flags.mark_flags_as_required(['config'])


if __name__ == '__main__':
  cli.main(lambda: size_sweep.run_sweep(_CONFIG.value, _WORKDIR.value))
