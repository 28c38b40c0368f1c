"""Slant and stroke thickness of digit images, as Morpho-MNIST defines them.

Castro et al., "Morpho-MNIST: Quantitative Assessment and Diagnostics for
Representation Learning", JMLR 20 (2019), §3.1:

  slant      arctan(-mu11 / mu02) of the image's second central moments: the
             horizontal shear that would make the digit upright, in radians
             (positive: the top leans right, as in italics).
  thickness  2 x the mean distance to the background along the skeleton of
             the binarised digit, in pixels of the original image.

As there, each image is first upscaled 4x (a smoothing cubic-spline pyramid
step, scikit-image's `pyramid_expand`) and binarised at half its intensity
range, so that thickness is read at sub-pixel resolution; slant uses the grey
levels of the upscaled image. Two departures, for speed: the skeleton is
skimage's `skeletonize` (thinning) rather than Morpho-MNIST's `medial_axis`,
which takes 45 ms per upscaled digit against 0.5 ms (the distances along it
are the same Euclidean distance transform); and the upscaling runs on the
whole batch (`upscaled`: the zoom as matrix products, the Gaussian along
each image axis), the same spline, clipping and Gaussian as
`pyramid_expand` (equal to it within 1e-12, tests/test_morphometry.py).
"""

import functools

import numpy as np

UPSCALE = 4
CHUNK = 256  # images upscaled at once (26 MB of float64 at 28 x 28)


@functools.cache
def _zoom_matrix(side: int) -> np.ndarray:
  """[UPSCALE * side, side]: the cubic spline zoom of
  `pyramid_expand(upscale=UPSCALE, order=3)` as the matrix of its 1-D filter
  (its columns are the filter's response to unit vectors; scikit-image's
  'reflect' is SciPy's 'mirror'). A matrix, because SciPy's zoom of a stack
  would filter across the images too."""
  from scipy import ndimage  # pylint: disable=import-outside-toplevel
  return np.stack([ndimage.zoom(e, UPSCALE, order=3, mode='mirror',
                                grid_mode=True) for e in np.eye(side)], 1)


def upscaled(images: np.ndarray) -> np.ndarray:
  """[B, side, side] -> [B, 4 side, 4 side]: `pyramid_expand` of each image
  (zoom, clip to the image's range as skimage's resize does, smooth)."""
  # Imported here, as scipy and skimage are.
  from scipy import ndimage  # pylint: disable=import-outside-toplevel
  import threadpoolctl  # pylint: disable=import-outside-toplevel
  zoom = _zoom_matrix(images.shape[-1])
  # One BLAS thread: beside JAX's own threads, OpenBLAS's made `measure` of
  # 1,000 digits 7-11 times slower on 2 cores (measured).
  with threadpoolctl.threadpool_limits(1, user_api='blas'):
    zoomed = np.clip(zoom @ images @ zoom.T,
                     images.min((1, 2), keepdims=True),
                     images.max((1, 2), keepdims=True))
  # pyramid_expand's Gaussian, applied as it does (one 1-D filter per image
  # axis, never across images): 11 taps per value against the 112 of a
  # dense [U, U] matrix on each side (upscaling 1,000 digits: 1.07 -> 0.80 s
  # with another job running; SciPy's filter is slower per tap than BLAS).
  for axis in (1, 2):
    zoomed = ndimage.gaussian_filter1d(zoomed, 2 * UPSCALE / 6, axis=axis,
                                       mode='reflect')
  return zoomed


def slant(image: np.ndarray) -> float:
  """Slant in radians of one [H, W] grey-level image (ink > 0)."""
  image = np.clip(image, 0.0, None)
  rows, cols = np.indices(image.shape, dtype=np.float64)
  mass = image.sum()
  if mass <= 0:
    raise ValueError('slant of an empty image (no ink) is undefined')
  mean_row = (rows * image).sum() / mass
  mean_col = (cols * image).sum() / mass
  mu11 = ((rows - mean_row) * (cols - mean_col) * image).sum() / mass
  mu02 = ((rows - mean_row) ** 2 * image).sum() / mass
  # Rows grow downwards: a top leaning right gives mu11 < 0, hence the minus.
  return float(np.arctan(-mu11 / mu02))


def thickness(image: np.ndarray) -> float:
  """Mean stroke thickness in pixels of one [H, W] grey-level image."""
  from scipy import ndimage  # pylint: disable=import-outside-toplevel
  from skimage import morphology  # pylint: disable=import-outside-toplevel
  low, high = image.min(), image.max()
  if high <= low:
    raise ValueError('thickness of a constant image (no stroke) is undefined')
  binary = image >= low + 0.5 * (high - low)
  # On the stroke's bounding box and one pixel of background around it
  # (where the image has it): the thinning reads 3 x 3 neighbourhoods and
  # every stroke pixel's nearest background pixel lies in that box, so the
  # skeleton, the distances and their mean are the whole image's, bitwise,
  # on about half the pixels of a digit.
  rows, cols = np.flatnonzero(binary.any(1)), np.flatnonzero(binary.any(0))
  binary = binary[max(rows[0] - 1, 0):rows[-1] + 2,
                  max(cols[0] - 1, 0):cols[-1] + 2]
  skeleton = morphology.skeletonize(binary)
  distance = ndimage.distance_transform_edt(binary)
  return float(2.0 * distance[skeleton].mean())


def measure(images: np.ndarray, side: int = 28) -> tuple[np.ndarray, np.ndarray]:
  """(slant [B] in radians, thickness [B] in pixels) of [B, side*side] images.

  Images without ink (all pixels equal) get NaN, which `pearson` ignores.
  """
  images = np.asarray(images, np.float64).reshape(-1, side, side)
  slants, thicknesses = np.full(len(images), np.nan), np.full(len(images), np.nan)
  inked = np.flatnonzero(images.max((1, 2)) > images.min((1, 2)))
  for start in range(0, len(inked), CHUNK):  # bounds the upscaled copies
    rows = inked[start:start + CHUNK]
    for i, image in zip(rows, upscaled(images[rows])):
      slants[i] = slant(image)
      thicknesses[i] = thickness(image) / UPSCALE
  return slants, thicknesses


def pearson(a: np.ndarray, b: np.ndarray) -> float:
  """Pearson correlation of two [B] arrays over the entries finite in both;
  NaN when either is constant there (no variation to correlate)."""
  keep = np.isfinite(a) & np.isfinite(b)
  a, b = a[keep] - a[keep].mean(), b[keep] - b[keep].mean()
  norm = np.sqrt((a ** 2).sum() * (b ** 2).sum())
  return float((a * b).sum() / norm) if norm > 0 else float('nan')
