r"""Where the wall time of a whole run goes: start-up, data, compile, both
training steps, evaluation.

  python -m benchmarks.end_to_end [--variants=tiny,default] [--out=end_to_end.json]

Runs `python -m experiments.main --config=configs/synthetic.py[:VARIANT]` in a
fresh temporary workdir (so nothing is restored and the judging classifier is
trained) and splits its wall time with the timestamps of the launcher's own
log lines:

  start-up      process start to the 'JAX …, devices' line (Python imports)
  data          to the 'data: …' line (loading and pairing the images)
  setup         to the start of the first joint step (model init, optimizer,
                checkpoint directory)
  compile       the first step of each training step ('first step (compile)')
  joint         the remaining joint steps
  marginal      from the end of the joint steps to the last marginal step
                (includes its setup and compile, printed separately)
  evaluation    from the last marginal step to 'wrote …metrics.json'
                (held-out losses, the judging classifier, label metrics,
                figures)
  exit          to the end of the process
"""

import datetime
import json
import re
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags

_VARIANTS = flags.DEFINE_list('variants', ['tiny', 'default'],
                              'Variants of configs/synthetic.py to run.')
_OUT = flags.DEFINE_string('out', 'end_to_end.json', 'JSON output path.')

LOG_TIME = re.compile(r'^[IWE]\d{4} (\d\d:\d\d:\d\d\.\d+) ')


def _seconds_of_day(clock: str) -> float:
  t = datetime.datetime.strptime(clock, '%H:%M:%S.%f')
  return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6


def _marks(log: str) -> dict[str, float]:
  """Seconds of the day at which each marker line was logged (last match)."""
  patterns = {
      'devices': r'cli.py.*\] JAX .* devices:',
      'data': r'run.py.*\] data: ',
      'joint_first': r'joint: first step \(compile\) took',
      'joint_end': r'joint step (\d+)/\1 ',
      'marginal_first': r'marginal: first step \(compile\) took',
      'marginal_end': r'marginal step (\d+)/\1 ',
      'evaluated': r'wrote .*metrics\.json',
  }
  marks, compile_s = {}, {}
  for line in log.splitlines():
    match = LOG_TIME.match(line)
    if not match:
      continue
    for name, pattern in patterns.items():
      if re.search(pattern, line):
        marks[name] = _seconds_of_day(match.group(1))
        took = re.search(r'\(compile\) took ([\d.]+)s', line)
        if took:
          compile_s[name.split('_')[0]] = float(took.group(1))
  missing = set(patterns) - set(marks)
  if missing:
    raise RuntimeError(f'the run log lacks the lines {sorted(missing)}:\n{log[-2000:]}')
  return {**marks, 'compile_joint': compile_s['joint'],
          'compile_marginal': compile_s['marginal']}


def time_run(variant: str) -> dict[str, float]:
  config = 'configs/synthetic.py' + ('' if variant == 'default' else f':{variant}')
  with tempfile.TemporaryDirectory() as workdir:
    start_clock = datetime.datetime.now()
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, '-m', 'experiments.main', f'--config={config}',
         f'--workdir={workdir}'], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
  m = _marks(result.stderr)
  launch = _seconds_of_day(start_clock.strftime('%H:%M:%S.%f'))
  joint_start = m['joint_first'] - m['compile_joint']
  marginal_start = m['marginal_first'] - m['compile_marginal']
  return {
      'start-up': m['devices'] - launch,
      'data': m['data'] - m['devices'],
      'setup (joint)': joint_start - m['data'],
      'compile (joint)': m['compile_joint'],
      'joint steps': m['joint_end'] - m['joint_first'],
      'setup (marginal)': marginal_start - m['joint_end'],
      'compile (marginal)': m['compile_marginal'],
      'marginal steps': m['marginal_end'] - m['marginal_first'],
      'evaluation': m['evaluated'] - m['marginal_end'],
      'exit': launch + wall - m['evaluated'],
      'total': wall,
  }


def main(argv):
  del argv
  rows = {variant: time_run(variant) for variant in _VARIANTS.value}
  print('| part | ' + ' | '.join(f'{v} (s)' for v in rows) + ' |')
  print('|---' * (len(rows) + 1) + '|')
  for part in next(iter(rows.values())):
    print(f'| {part} | ' + ' | '.join(f'{r[part]:.1f}' for r in rows.values()) + ' |')
  with open(_OUT.value, 'w') as f:
    json.dump(rows, f, indent=2)
  print(f'wrote {_OUT.value}')


if __name__ == '__main__':
  app.run(main)
