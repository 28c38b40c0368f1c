"""`pip install .` gives a working package: build the wheel from this checkout,
install it into a fresh virtual environment, import it there, call the loss;
the library never imports the application beside its launchers."""

import ast
import os
import pathlib
import site
import subprocess
import sys
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Run inside the new environment, from a directory without the checkout on
# sys.path, so that only the installed wheel can be imported.
CHECK = '''
import sys
# The experiments extra is absent: the library must not need it.
for name in ('ml_collections', 'matplotlib', 'mlxtend', 'sklearn', 'skimage',
             'tensorflow_datasets'):
  sys.modules[name] = None
import jax.numpy as jnp
import wyner_jax
import wyner_jax.train  # the train loop and checkpoints need only the core
logits = jnp.zeros((2, 1, 4))
data = jnp.ones((2, 3))
loss, _ = wyner_jax.joint_loss(logits, logits, logits, data, data, data,
                               jnp.zeros((2, 3)), 1.0, 0.5)
print(wyner_jax.__file__)
print(wyner_jax.__version__, float(loss))
'''


def run(*args, **kwargs):
  return subprocess.run(args, check=True, capture_output=True, text=True,
                        **kwargs)


def archive_text(wheel, filename):
  with zipfile.ZipFile(wheel) as archive:
    (name,) = [n for n in archive.namelist() if n.endswith('.dist-info/' + filename)]
    return archive.read(name).decode()


def test_wheel_installs_into_a_fresh_venv_and_computes_the_loss(tmp_path):
  wheels = tmp_path / 'wheels'
  # The same build as `pip install .` (PEP 517, isolated build environment).
  run(sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-q', '-w',
      str(wheels), REPO)
  (wheel,) = wheels.glob('wyner_jax-*.whl')
  with zipfile.ZipFile(wheel) as archive:
    names = archive.namelist()
  assert 'wyner_jax/__init__.py' in names and 'wyner_jax/losses.py' in names
  assert not [n for n in names if n.startswith(('tests/', 'experiments/'))]
  # `pip install wyner_jax` brings the core alone; the rest is in extras.
  metadata = archive_text(wheel, 'METADATA')
  core = sorted(line.split()[1].split('>')[0].split('<')[0].split('=')[0]
                for line in metadata.splitlines()
                if line.startswith('Requires-Dist:') and 'extra ==' not in line)
  assert core == ['flax', 'jax', 'numpy', 'optax'], core

  # The package only from the wheel (--no-deps, --no-index); its dependencies
  # from the site-packages of the environment running the tests, appended to
  # the new environment's path by a .pth file (`--system-site-packages` would
  # give the base interpreter's, which lack them when the tests run in a
  # venv). Directories added this way have their own .pth files ignored, so
  # an editable install of the checkout there stays invisible.
  venv = tmp_path / 'venv'
  run(sys.executable, '-m', 'venv', str(venv))
  python = str(venv / 'bin' / 'python')
  purelib = run(python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  with open(os.path.join(purelib.stdout.strip(), 'outer_env.pth'), 'w') as f:
    f.write('\n'.join(site.getsitepackages()) + '\n')
  run(python, '-m', 'pip', 'install', '-q', '--no-deps', '--no-index', str(wheel))
  env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
  out = run(python, '-c', CHECK, cwd=tmp_path, env=env).stdout.split('\n')
  assert out[0].startswith(str(venv)), out[0]  # the installed copy, not the checkout
  import wyner_jax  # pylint: disable=import-outside-toplevel
  version, loss = out[1].split()
  assert version == wyner_jax.__version__
  # KLs at uniform logits are 0; one squared error of 3 ones over 2 eps^2 = 0.5.
  assert float(loss) == 6.0


def test_the_library_imports_nothing_of_the_experiments():
  library = pathlib.Path(REPO) / 'wyner_jax'
  for path in library.glob('*.py'):
    for node in ast.walk(ast.parse(path.read_text())):
      if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
      elif isinstance(node, ast.ImportFrom):
        names = [node.module or '']
      else:
        continue
      assert not [n for n in names if n.split('.')[0] in ('experiments', 'configs')], (
          path.name, names)


def test_loading_without_the_experiments_extra_names_the_extra():
  """`wyner_jax` alone has no ml-collections; `wyner_jax.loading` says which
  extra brings it instead of a bare ModuleNotFoundError."""
  blocked = ("import sys; sys.modules['ml_collections'] = None; "
             'import wyner_jax; import wyner_jax.loading')
  result = subprocess.run([sys.executable, '-c', blocked], capture_output=True,
                          text=True, cwd=REPO, check=False)
  assert result.returncode == 1
  last_line = result.stderr.strip().splitlines()[-1]
  assert last_line == ("ModuleNotFoundError: wyner_jax.loading needs ml-collections, "
                       "from the experiments extra: pip install 'wyner_jax[experiments]'")
