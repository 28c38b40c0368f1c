"""The user cache (experiments/cache.py): judges built once per key, foreign
and damaged entries rebuilt, never used; damaged compiled programs removed
and compiled afresh."""

import concurrent.futures
import json
import os
import pathlib
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from conftest import REPO
from experiments import cache


def tree(seed):
  return {'w': np.random.default_rng(seed).normal(size=(3, 4)).astype(np.float32),
          'accuracy': np.float32(seed / 10)}


class Builder:
  """Counts its builds."""

  def __init__(self, seed):
    self.seed, self.calls = seed, 0

  def __call__(self):
    self.calls += 1
    return tree(self.seed)


def test_root_follows_the_environment(monkeypatch, tmp_path):
  monkeypatch.setenv('WYNER_JAX_CACHE_DIR', str(tmp_path / 'mine'))
  assert cache.root() == str(tmp_path / 'mine')
  assert cache.judge_directory('') == str(tmp_path / 'mine' / 'judges')
  assert cache.judge_directory('/elsewhere') == '/elsewhere'
  monkeypatch.delenv('WYNER_JAX_CACHE_DIR')
  monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
  assert cache.root() == str(tmp_path / 'xdg' / 'wyner_jax')


def test_an_entry_is_built_once_and_read_back_bitwise(tmp_path):
  path, key = str(tmp_path / 'j' / 'entry.msgpack'), {'data': 'd1', 'steps': 5}
  build = Builder(1)
  first = cache.load_or_build(path, key, tree(0), build)
  again = cache.load_or_build(path, key, tree(0), build)
  assert build.calls == 1
  np.testing.assert_array_equal(again['w'], first['w'])
  assert again['accuracy'] == first['accuracy']
  assert os.listdir(tmp_path / 'j') == ['entry.msgpack']  # no partial file


def test_writers_of_one_entry_at_once_do_not_collide(tmp_path, monkeypatch):
  # Each writer's temporary file has its own name (1.0.0 shared one: the
  # second rename found it gone, FileNotFoundError).
  path, key = str(tmp_path / 'entry.msgpack'), {'data': 'd1'}

  def slow_build():
    time.sleep(0.2)  # all of them build before any writes
    return tree(1)

  with concurrent.futures.ThreadPoolExecutor(6) as pool:
    built = list(pool.map(lambda _: cache.load_or_build(
        path, key, tree(0), slow_build), range(6)))
  assert len(built) == 6 and os.listdir(tmp_path) == ['entry.msgpack']
  kept = Builder(2)
  assert cache.load_or_build(path, key, tree(0), kept)['accuracy'] == np.float32(0.1)
  assert kept.calls == 0
  # Kept checkpoints too: the first rename wins, the others leave nothing.
  # (monkeypatch restores the session's cache directory afterwards: deleting
  # the variable sent this worker's later launcher runs to the user's own
  # cache, whose judges of other settings then judged them.)
  monkeypatch.setenv('WYNER_JAX_CACHE_DIR', str(tmp_path / 'cache'))
  fake_checkpoints(tmp_path / 'run1')
  with concurrent.futures.ThreadPoolExecutor(4) as pool:
    list(pool.map(lambda _: cache.keep_checkpoints(str(tmp_path / 'run1'),
                                                   KEY), range(4)))
  assert os.listdir(tmp_path / 'cache' / 'autoencoders') == [
      os.path.basename(cache.checkpoint_entry(KEY))]
  assert cache.restore_checkpoints(str(tmp_path / 'run2'), KEY)


@pytest.mark.parametrize('blocked', ['a file', 'under a file'])
def test_a_cache_that_cannot_be_written_is_refused_before_any_work(
    tmp_path, monkeypatch, blocked):
  (tmp_path / 'file').write_text('')
  root = tmp_path / 'file' if blocked == 'a file' else tmp_path / 'file' / 'c'
  monkeypatch.setenv('WYNER_JAX_CACHE_DIR', str(root))
  monkeypatch.delenv('JAX_COMPILATION_CACHE_DIR', raising=False)
  with pytest.raises(cache.CacheError,
                     match=rf'^the judge cache {root}/judges cannot be used '
                     r'\(.*\); set \$WYNER_JAX_CACHE_DIR to a writable'):
    cache.check_writable(cache.judge_directory(''), 'judge cache')
  with pytest.raises(cache.CacheError, match='compilation cache'):
    cache.enable_compilation_cache()
  cache.check_writable(str(tmp_path / 'fine' / 'judges'), 'judge cache')


def test_a_foreign_entry_is_rebuilt_and_replaced(tmp_path, caplog):
  path = str(tmp_path / 'entry.msgpack')
  cache.load_or_build(path, {'data': 'd1', 'steps': 5}, tree(0), Builder(1))
  other = Builder(2)
  got = cache.load_or_build(path, {'data': 'd1', 'steps': 6}, tree(0), other)
  assert other.calls == 1
  np.testing.assert_array_equal(got['w'], tree(2)['w'])
  assert 'foreign (built for other steps)' in caplog.text
  again = Builder(3)
  cache.load_or_build(path, {'data': 'd1', 'steps': 6}, tree(0), again)
  assert again.calls == 0  # the replacement is used


@pytest.mark.parametrize('damage', ['flipped byte', 'truncated', 'garbage'])
def test_a_damaged_entry_is_rebuilt_never_used(tmp_path, caplog, damage):
  path, key = str(tmp_path / 'entry.msgpack'), {'data': 'd1'}
  cache.load_or_build(path, key, tree(0), Builder(1))
  blob = bytearray(open(path, 'rb').read())
  if damage == 'flipped byte':
    blob[-5] ^= 0xFF  # inside the payload: only the checksum can tell
  elif damage == 'truncated':
    blob = blob[:len(blob) // 2]
  else:
    blob = bytearray(b'not an entry')
  with open(path, 'wb') as f:
    f.write(blob)
  build = Builder(1)
  got = cache.load_or_build(path, key, tree(0), build)
  assert build.calls == 1 and 'damaged' in caplog.text
  np.testing.assert_array_equal(got['w'], tree(1)['w'])
  assert cache.load_or_build(path, key, tree(0), Builder(9))['accuracy'] == (
      np.float32(0.1))


def test_the_key_holds_the_code_versions(tmp_path, monkeypatch, caplog):
  path, key = str(tmp_path / 'entry.msgpack'), {'data': 'd1'}
  cache.load_or_build(path, key, tree(0), Builder(1))
  monkeypatch.setattr(cache.wyner_jax, '__version__', '99.0.0')
  build = Builder(1)
  cache.load_or_build(path, key, tree(0), build)
  assert build.calls == 1 and 'built for other wyner_jax' in caplog.text


PROGRAM = textwrap.dedent('''
    import jax, jax.numpy as jnp
    from experiments import cache
    cache.enable_compilation_cache()
    print(float(jax.jit(lambda a: jnp.sin(a) @ a.T)(jnp.ones((8, 8))).sum()))
''')


def run_program(cache_root):
  env = {k: v for k, v in os.environ.items()
         if not k.startswith('JAX_COMPILATION_CACHE')}
  env.update(WYNER_JAX_CACHE_DIR=str(cache_root), JAX_PLATFORMS='cpu')
  result = subprocess.run([sys.executable, '-c', PROGRAM], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
  assert result.returncode == 0, result.stderr[-2000:]
  return result


def test_damaged_compiled_programs_are_removed_and_cached_afresh(tmp_path):
  xla = tmp_path / 'xla'
  first = run_program(tmp_path)
  entries = sorted(p for p in xla.iterdir() if p.name.endswith('-cache'))
  assert entries, 'the launcher setting cached nothing'
  for entry in entries:
    entry.write_bytes(entry.read_bytes()[:40])
  damaged = run_program(tmp_path)
  assert damaged.stdout == first.stdout
  assert 'damaged entr' in damaged.stderr
  assert cache.remove_damaged_programs(str(xla)) == []  # written again
  assert sorted(p.name for p in xla.iterdir() if p.name.endswith('-cache')) == [
      p.name for p in entries]
  clean = run_program(tmp_path)
  assert clean.stdout == first.stdout and 'damaged' not in clean.stderr


def fake_checkpoints(directory):
  (directory / '5').mkdir(parents=True)
  (directory / '5' / 'state').write_bytes(b'params of step 5')
  (directory / 'metadata').write_text('{}')


KEY = {'fields': {'seed': 0}, 'digest': 'abc', 'num_steps': 5}


def test_two_phases_of_one_record_keep_their_own_checkpoints(tmp_path,
                                                             monkeypatch):
  # Two domains' autoencoders share every field and the data: 1.0.0's key
  # had no phase, so the second restored the first's (another network).
  monkeypatch.setenv('WYNER_JAX_CACHE_DIR', str(tmp_path / 'cache'))
  record = {'fields': {'seed': 0}, 'digest': 'abc'}
  keys = {name: cache.checkpoint_key(record, 5, name)
          for name in ('autoencoder_x', 'autoencoder_y')}
  for name, key in keys.items():
    fake_checkpoints(tmp_path / name)
    (tmp_path / name / '5' / 'state').write_bytes(name.encode())
    cache.keep_checkpoints(str(tmp_path / name), key)
  for name, key in keys.items():
    assert cache.restore_checkpoints(str(tmp_path / 'again' / name), key)
    assert (tmp_path / 'again' / name / '5' / 'state').read_bytes() == name.encode()


def test_checkpoints_are_kept_and_restored_whole(tmp_path, monkeypatch):
  monkeypatch.setenv('WYNER_JAX_CACHE_DIR', str(tmp_path / 'cache'))
  fake_checkpoints(tmp_path / 'run1')
  cache.keep_checkpoints(str(tmp_path / 'run1'), KEY)
  assert cache.restore_checkpoints(str(tmp_path / 'run2'), KEY)
  assert (tmp_path / 'run2' / '5' / 'state').read_bytes() == b'params of step 5'
  assert not cache.restore_checkpoints(str(tmp_path / 'run3'),
                                       {**KEY, 'num_steps': 6})
  assert not (tmp_path / 'run3').exists()


@pytest.mark.parametrize('damage', ['changed file', 'missing file',
                                    'extra file', 'no manifest',
                                    'foreign manifest'])
def test_damaged_or_foreign_checkpoints_are_removed_not_used(
    tmp_path, monkeypatch, caplog, damage):
  monkeypatch.setenv('WYNER_JAX_CACHE_DIR', str(tmp_path / 'cache'))
  fake_checkpoints(tmp_path / 'run1')
  cache.keep_checkpoints(str(tmp_path / 'run1'), KEY)
  entry = pathlib.Path(cache.checkpoint_entry(KEY))
  stored = entry / 'checkpoints'
  if damage == 'changed file':
    (stored / '5' / 'state').write_bytes(b'params of step 4')
  elif damage == 'missing file':
    (stored / 'metadata').unlink()
  elif damage == 'extra file':
    (stored / '5' / 'other').write_bytes(b'')
  elif damage == 'no manifest':
    (entry / 'manifest.json').unlink()
  else:
    manifest = json.loads((entry / 'manifest.json').read_text())
    manifest['key']['digest'] = 'other data'
    (entry / 'manifest.json').write_text(json.dumps(manifest))
  assert not cache.restore_checkpoints(str(tmp_path / 'run2'), KEY)
  assert not (tmp_path / 'run2').exists() and not entry.exists()
  assert 'removed, training again' in caplog.text
