r"""How many steps the wrapper's autoencoder needs: its judged ceiling
(`eval/autoencoder_accuracy_x`, the shipped judge's accuracy on the test
reconstructions, the ceiling of every label metric of a wrapped model) and
squared error after each (learning rate, steps) setting, each trained from
scratch by the run's own code (`experiments.run.train_wrapper`, the default
config's data, seed and batch) in a fresh workdir and user cache.

  python -m benchmarks.autoencoder_steps \
      [--settings=1e-3:2000,3e-3:250,3e-3:500,3e-3:1000] [--config=...]

Prints one row per setting and writes them as JSON (--out).
"""

import json
import os
import tempfile
import time

from absl import app
from absl import flags
from ml_collections import config_flags

from experiments import cache, run, sources
from experiments.judging import judges

_CONFIG = config_flags.DEFINE_config_file(
    'config', 'configs/synthetic.py', 'The run whose autoencoder is trained.')
_SETTINGS = flags.DEFINE_list(
    'settings', ['1e-3:2000', '3e-3:250', '3e-3:500', '3e-3:1000'],
    'LEARNING_RATE:STEPS of the autoencoder, one training each.')
_OUT = flags.DEFINE_string('out', 'autoencoder_steps.json', 'JSON output path.')


def parse(setting: str) -> tuple[float, int]:
  try:
    rate, steps = setting.split(':')
    return float(rate), int(steps)
  except ValueError:
    raise app.UsageError(f'--settings: {setting!r} is not LEARNING_RATE:STEPS '
                         '(e.g. 3e-3:500)') from None


def main(argv):
  del argv
  settings = [parse(s) for s in _SETTINGS.value]
  config = _CONFIG.value
  paired = sources.load(config.data)
  with tempfile.TemporaryDirectory() as scratch:
    # Nothing is read from or kept in the user's cache: each setting trains.
    os.environ[cache.ROOT_VARIABLE] = os.path.join(scratch, 'cache')
    run_judges = judges.load_or_train(
        paired, cache.judge_directory(''), config.data.seed,
        config.eval.classifier_steps, 0)
    rows = []
    for rate, steps in settings:
      config.autoencoder.learning_rate, config.autoencoder.num_steps = rate, steps
      plan = run.make_plan(config, paired)
      start = time.monotonic()
      wrapper = run.train_wrapper(plan, os.path.join(scratch, f'{rate}-{steps}'))
      seconds = time.monotonic() - start
      test = paired.test
      readings = run.wrapper_metrics(wrapper, run_judges, test.pairs(),
                                     wrapper.codes(test).pairs())
      rows.append({'learning_rate': rate, 'steps': steps, 'seconds': seconds,
                   **readings})
      print(f'learning rate {rate:g}, {steps} steps ({seconds:.0f} s): '
            + ', '.join(f'{k} {v:.4f}' for k, v in readings.items()), flush=True)
  with open(_OUT.value, 'w') as f:
    json.dump(rows, f, indent=2)
  print(f'wrote {_OUT.value}')


if __name__ == '__main__':
  app.run(main)
