"""The tests marked multi_device (data-parallel and sweep meshes: equal to one
device, divisibility errors, donation on a model per device) in a pytest of
their own on four simulated CPU devices; the rest of the suite runs on one
(conftest.py says why)."""

import os
import re
import subprocess
import sys

from conftest import DEVICES, DEVICES_ENV, MULTI_DEVICE, REPO


def test_the_multi_device_tests_pass_on_four_simulated_devices():
  assert DEVICES == 1, 'this test starts the multi_device tests on four'
  result = subprocess.run(
      [sys.executable, '-m', 'pytest', '-q', '-rA', '-p', 'no:cacheprovider',
       '-p', 'no:xdist', '-m', MULTI_DEVICE, 'tests'],
      cwd=REPO, env={**os.environ, DEVICES_ENV: '4'}, capture_output=True,
      text=True, timeout=900)
  assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
  # Every one ran and passed there: none skipped. (A test whose marker is
  # lost runs here on one device and fails: each asks for several.)
  passed = re.findall(r'^PASSED (\S+)', result.stdout, re.MULTILINE)
  assert len(passed) == 5, result.stdout[-3000:]
  assert not re.search(r'skipped|xfail', result.stdout.splitlines()[-1])
