"""Demo data sets and synthetic generators (numpy/scipy only).

Every loader returns a :class:`Dataset`. The shipped data files (``digits.npz``, ``text.npz``,
``faces.npz``) are package data in ``nmfcore/data/`` (built by ``demo_data/build_demo_data.py``)
and are read through :mod:`importlib.resources`, so they load the same from a checkout and from
an installed wheel; the synthetic sets are generated here from fixed seeds, so the same name
always gives the same matrix.

Use :func:`list_demos` for the names and :func:`load_demo` to load one.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from importlib import resources
from typing import Any

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Dataset:
    """A matrix to factorize, with everything needed to show it.

    Attributes
    ----------
    name : str
        Short identifier (``"swimmer"``, ``"digits"``, ``"upload: file.csv"`` ...).
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
        The data, rows are samples. May contain NaN only where ``kind`` tolerates missing
        values and the caller asked for a masked fit (then ``extras["missing"]`` is True).
    row_labels, col_labels : tuple of str or None
        Names of the samples and of the features.
    classes : ndarray of shape (n_samples,) or None
        Known class of each sample (for purity / adjusted Rand), if any.
    kind : {"image", "text", "spectra", "audio", "generic"}
        How components are best shown.
    image_shape : tuple of int or None
        ``(height, width)`` of one sample when ``kind == "image"``.
    description : str
        One or two sentences for the UI.
    suggested_rank : int or None
        The rank at which the set shows what it was built to show.
    extras : dict
        Ground truth where known (e.g. ``"true_H"`` for swimmer parts, ``"sources"`` for spectra,
        ``"true_W"``/``"true_H"`` for planted sets), ``"source"`` (provenance text), and
        ``"missing"`` (True when NaN cells are to be treated as missing values).
    """

    name: str
    X: Any
    row_labels: tuple | None = None
    col_labels: tuple | None = None
    classes: np.ndarray | None = None
    kind: str = "generic"
    image_shape: tuple | None = None
    description: str = ""
    suggested_rank: int | None = None
    extras: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple:
        return tuple(self.X.shape)


def demo_data_dir():
    """Folder holding the shipped demo files: the package data folder ``nmfcore/data``
    (a :class:`importlib.resources.abc.Traversable`), or ``NMF_EXPLORER_DEMO_DATA`` if set."""
    env = os.environ.get("NMF_EXPLORER_DEMO_DATA")
    return Path(env) if env else resources.files("nmfcore") / "data"


def _load_npz(fname: str) -> dict:
    path = demo_data_dir() / fname
    if not path.is_file():
        raise FileNotFoundError(
            f"Demo file {path} is missing. Rebuild it with "
            f"`python demo_data/build_demo_data.py` (needs scikit-learn for digits, "
            f"scikit-image for faces).")
    with path.open("rb") as fh, np.load(fh, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


# --------------------------------------------------------------------------- synthetic sets

def _segment(pivot, angle_deg, r0=2.0, r1=8.0):
    """Pixels of a 1-pixel line from distance ``r0`` to ``r1`` of ``pivot`` at an angle."""
    a = np.deg2rad(angle_deg)
    r = np.arange(r0, r1 + 1e-9, 0.25)
    rows = np.rint(pivot[0] - r * np.sin(a)).astype(int)
    cols = np.rint(pivot[1] + r * np.cos(a)).astype(int)
    return sorted(set(zip(rows.tolist(), cols.tolist())))


_LIMBS = (  # name, pivot (row, col), the 4 angles in degrees (0 = right, 90 = up)
    ("left arm", (9, 14), (90, 135, 180, 225)),
    ("right arm", (9, 17), (90, 45, 0, -45)),
    ("left leg", (22, 14), (135, 180, 225, 270)),
    ("right leg", (22, 17), (45, 0, -45, -90)),
)


def swimmer_parts() -> tuple[np.ndarray, tuple]:
    """The 17 swimmer parts: torso, then 4 limbs x 4 positions.

    Returns
    -------
    parts : ndarray of shape (17, 1024)
        Binary 32x32 images, flattened row-major; the parts do not share any pixel.
    names : tuple of str, length 17
    """
    parts = np.zeros((17, 32, 32))
    parts[0, 9:23, 15:17] = 1.0
    names = ["torso"]
    k = 1
    for limb, pivot, angles in _LIMBS:
        for pos, ang in enumerate(angles):
            for r, c in _segment(pivot, ang):
                parts[k, r, c] = 1.0
            names.append(f"{limb} {pos + 1}")
            k += 1
    return parts.reshape(17, -1), tuple(names)


def make_swimmer() -> Dataset:
    """The swimmer set: 256 images of 32x32, a torso with 4 limbs in 4 positions each.

    Every combination of limb positions appears once (4**4 = 256 images), as in Donoho &
    Stodden (2003). ``X[i] = torso + sum of one position per limb`` exactly, so the 17 parts are
    in ``extras["true_H"]`` (17 x 1024) and the positions in ``extras["true_W"]`` (256 x 17).

    Returns
    -------
    Dataset
        ``X`` of shape (256, 1024), kind ``"image"``, ``image_shape=(32, 32)``,
        ``suggested_rank=17``.
    """
    parts, names = swimmer_parts()
    combos = np.array(np.meshgrid(*[np.arange(4)] * 4, indexing="ij")).reshape(4, -1).T
    W = np.zeros((256, 17))
    W[:, 0] = 1.0
    for limb in range(4):
        W[np.arange(256), 1 + 4 * limb + combos[:, limb]] = 1.0
    X = W @ parts
    rows = tuple("swimmer " + "".join(str(p + 1) for p in c) for c in combos)
    cols = tuple(f"px({r},{c})" for r in range(32) for c in range(32))
    return Dataset(
        name="swimmer", X=X, row_labels=rows, col_labels=cols, kind="image",
        image_shape=(32, 32), suggested_rank=17,
        description="256 stick figures (32x32): a torso and 4 limbs in 4 positions each. "
                    "NMF at rank 17 should find the torso and the 16 limb positions.",
        extras={"true_H": parts, "true_W": W, "part_names": names,
                "source": "Generated (after Donoho & Stodden 2003), public domain."})


def make_planted(n_samples, n_features, rank, noise=0.0, random_state=None) -> Dataset:
    """Random non-negative low-rank data with known factors.

    Parameters
    ----------
    n_samples, n_features, rank : int
    noise : float, default 0.0
        Standard deviation of added Gaussian noise, relative to the mean of ``W @ H``;
        the result is clipped at zero so ``X`` stays non-negative.
    random_state : int, numpy Generator or None

    Returns
    -------
    Dataset
        ``X`` (n_samples, n_features), ``extras["true_W"]`` (n_samples, rank),
        ``extras["true_H"]`` (rank, n_features); ``classes`` is the argmax of each row of W.
        H is sparse (about half its entries zero) with one anchor column per component, so the
        factorization is essentially unique.
    """
    n_samples, n_features, rank = int(n_samples), int(n_features), int(rank)
    if not (1 <= rank <= min(n_samples, n_features)):
        raise ValueError(f"rank must be between 1 and min(n_samples, n_features) = "
                         f"{min(n_samples, n_features)}, got {rank}.")
    rng = np.random.default_rng(random_state)
    W = rng.exponential(1.0, size=(n_samples, rank))
    H = rng.exponential(1.0, size=(rank, n_features)) * (rng.random((rank, n_features)) < 0.5)
    anchors = rng.permutation(n_features)[:rank]
    H[:, anchors] = 0.0
    H[np.arange(rank), anchors] = 1.0 + rng.random(rank)
    V = W @ H
    if noise > 0:
        V = np.maximum(V + rng.normal(0.0, noise * V.mean(), size=V.shape), 0.0)
    return Dataset(
        name="planted", X=V, row_labels=tuple(f"sample {i}" for i in range(n_samples)),
        col_labels=tuple(f"feature {j}" for j in range(n_features)),
        classes=W.argmax(axis=1), kind="generic", suggested_rank=rank,
        description=f"Random rank-{rank} non-negative data with known W and H "
                    f"(noise {noise:g}). NMF at rank {rank} should recover them.",
        extras={"true_W": W, "true_H": H, "noise": float(noise),
                "source": "Generated by nmfcore.datasets.make_planted."})


def make_spectra(n_samples=200, n_channels=400, n_sources=4, noise=0.01,
                 random_state=0) -> Dataset:
    """Noisy mixtures of a few known peak-shaped spectra (an unmixing problem).

    Each source is a sum of 1-3 Gaussian peaks; each source has its own main peak where the
    others are near zero. Abundances are sparse Dirichlet(0.5) weights times an intensity.

    Returns
    -------
    Dataset
        ``X`` (n_samples, n_channels), ``extras["sources"]`` (n_sources, n_channels),
        ``extras["abundances"]`` (n_samples, n_sources), ``extras["wavelengths"]``
        (n_channels,); kind ``"spectra"``, ``suggested_rank=n_sources``.
    """
    rng = np.random.default_rng(random_state)
    wl = np.linspace(400.0, 900.0, n_channels)
    centres = np.linspace(450.0, 850.0, n_sources)
    S = np.zeros((n_sources, n_channels))
    for k in range(n_sources):
        S[k] += np.exp(-0.5 * ((wl - centres[k]) / 12.0) ** 2)
        for _ in range(rng.integers(0, 3)):  # weaker secondary peaks anywhere
            c = rng.uniform(420.0, 880.0)
            S[k] += rng.uniform(0.2, 0.5) * np.exp(-0.5 * ((wl - c) / rng.uniform(8, 25)) ** 2)
        S[k] /= S[k].max()
    A = rng.dirichlet(np.full(n_sources, 0.5), size=n_samples)
    A *= rng.uniform(0.5, 2.0, size=(n_samples, 1))
    X = A @ S
    X = np.maximum(X + rng.normal(0.0, noise * X.max(), size=X.shape), 0.0)
    return Dataset(
        name="spectra", X=X, row_labels=tuple(f"mixture {i}" for i in range(n_samples)),
        col_labels=tuple(f"{w:.1f} nm" for w in wl), classes=A.argmax(axis=1),
        kind="spectra", suggested_rank=n_sources,
        description=f"{n_samples} noisy mixtures of {n_sources} peak-shaped spectra over "
                    f"{n_channels} wavelengths. NMF at rank {n_sources} should unmix the "
                    f"sources (extras['sources']).",
        extras={"sources": S, "abundances": A, "wavelengths": wl,
                "source": "Generated by nmfcore.datasets.make_spectra, public domain."})


def make_genes(n_genes=5000, group_sizes=(19, 8, 11), n_markers=250, random_state=0) -> Dataset:
    """Expression-like data shaped like the leukaemia set (38 samples, 3 groups).

    Rows are **samples** (38) and columns genes (5000), following the package convention, so
    ``W`` gives the samples' group memberships and ``H`` the group "metagenes". Each gene has a
    log-normal baseline; each group up-regulates its own ``n_markers`` genes 3-8 fold; every
    sample has a size factor and multiplicative log-normal noise.

    Returns
    -------
    Dataset
        ``X`` (sum(group_sizes), n_genes), ``classes`` (0, 1, 2 by group),
        ``extras["markers"]`` (n_groups, n_markers) gene indices, ``suggested_rank=3``.
    """
    rng = np.random.default_rng(random_state)
    groups = np.repeat(np.arange(len(group_sizes)), group_sizes)
    n = groups.size
    base = np.exp(rng.normal(5.0, 1.2, size=n_genes))
    genes = rng.permutation(n_genes)
    markers = genes[: n_markers * len(group_sizes)].reshape(len(group_sizes), n_markers)
    fold = np.ones((len(group_sizes), n_genes))
    for g in range(len(group_sizes)):
        fold[g, markers[g]] = rng.uniform(3.0, 8.0, size=n_markers)
    size = np.exp(rng.normal(0.0, 0.2, size=(n, 1)))
    X = size * base * fold[groups] * np.exp(rng.normal(0.0, 0.35, size=(n, n_genes)))
    names = ("group A", "group B", "group C")[: len(group_sizes)]
    return Dataset(
        name="genes", X=X,
        row_labels=tuple(f"{names[g]} #{i}" for i, g in enumerate(groups)),
        col_labels=tuple(f"gene {j}" for j in range(n_genes)), classes=groups,
        kind="generic", suggested_rank=len(group_sizes),
        description=f"{n} samples x {n_genes} genes (expression-like, rows are samples) with "
                    f"{len(group_sizes)} known sample groups of sizes {group_sizes}. NMF at "
                    f"rank {len(group_sizes)} should cluster the samples into these groups.",
        extras={"markers": markers, "group_names": names,
                "source": "Generated by nmfcore.datasets.make_genes (shaped like Golub 1999)."})


def make_tiny() -> Dataset:
    """A 5x6 exact rank-2 non-negative integer matrix, for stepping through updates by hand.

    Returns
    -------
    Dataset
        ``X`` (5, 6) = ``true_W`` (5, 2) @ ``true_H`` (2, 6), ``suggested_rank=2``.
    """
    W = np.array([[1, 0], [2, 1], [0, 1], [1, 1], [3, 0]], dtype=float)
    H = np.array([[1, 2, 0, 1, 0, 3], [0, 1, 2, 0, 3, 1]], dtype=float)
    return Dataset(
        name="tiny", X=W @ H, row_labels=tuple(f"r{i}" for i in range(5)),
        col_labels=tuple(f"c{j}" for j in range(6)), kind="generic", suggested_rank=2,
        description="A 5x6 matrix of small integers that is exactly W @ H at rank 2: "
                    "small enough to follow every update rule by hand.",
        extras={"true_W": W, "true_H": H, "source": "Hand-made."})


# --------------------------------------------------------------------------- shipped files

def load_digits() -> Dataset:
    """The UCI optical digits, 1797 images of 8x8 with labels 0-9 (from ``digits.npz``)."""
    z = _load_npz("digits.npz")
    X = z["X"].astype(np.float64)
    y = z["y"].astype(np.int64)
    return Dataset(
        name="digits", X=X, row_labels=tuple(f"#{i} ({d})" for i, d in enumerate(y.tolist())),
        col_labels=tuple(f"px({r},{c})" for r in range(8) for c in range(8)), classes=y,
        kind="image", image_shape=(8, 8), suggested_rank=10,
        description="1797 hand-written digits, 8x8 grey levels 0-16, labels 0-9. NMF gives "
                    "stroke-like parts; memberships follow the digit labels.",
        extras={"source": str(z["source"]), "class_names": tuple(str(d) for d in range(10))})


def load_text() -> Dataset:
    """Word counts of the Python standard-library docstrings (sparse CSR, from ``text.npz``)."""
    z = _load_npz("text.npz")
    X = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"]))
    return Dataset(
        name="text", X=X, row_labels=tuple(str(d) for d in z["docs"]),
        col_labels=tuple(str(w) for w in z["vocab"]), kind="text", suggested_rank=8,
        description=f"{X.shape[0]} Python standard-library modules x {X.shape[1]} words "
                    f"(docstring word counts, sparse). Components are topics: read their "
                    f"top words.",
        extras={"source": str(z["source"])})


def load_faces() -> Dataset:
    """100 real face photographs, 25x25 grey (Labeled Faces in the Wild, from ``faces.npz``).

    Returns
    -------
    Dataset
        ``X`` of shape (100, 625), float64 in [0, 1], kind ``"image"``, ``image_shape=(25, 25)``,
        ``suggested_rank=FACES_RANK``; ``extras`` hold ``source``, ``version`` and ``terms``.
    """
    z = _load_npz("faces.npz")
    X = z["X"].astype(np.float64)
    h, w = FACES_SHAPE
    return Dataset(
        name="faces", X=X, row_labels=tuple(f"face {i}" for i in range(X.shape[0])),
        col_labels=tuple(f"px({r},{c})" for r in range(h) for c in range(w)), kind="image",
        image_shape=FACES_SHAPE, suggested_rank=FACES_RANK,
        description=f"{X.shape[0]} face photographs (Labeled Faces in the Wild), 25x25 grey "
                    f"levels 0-1. NMF gives local parts (eyes, brows, nose, mouth, cheeks); "
                    f"PCA gives whole signed eigenfaces.",
        extras={"source": str(z["source"]), "version": str(z["version"]),
                "terms": str(z["terms"])})


FACES_SHAPE = (25, 25)
# The smallest rank whose held-out error is within one standard deviation of the lowest one
# (speckled cross-validation with nmfcore.rank_sweep; numbers in demo_data/README.md).
FACES_RANK = 14

# The melody of the audio demo: (onset in s, duration in s, note). Notes overlap, up to three
# sound together (the closing chord), and every note is played at least twice, each time
# beside different notes (a note always heard with the same other note could not be told apart).
_MELODY = ((0.00, 1.0, "C4"), (0.50, 1.0, "E4"), (1.00, 0.9, "G4"), (1.50, 1.0, "A4"),
           (2.00, 0.9, "C4"), (2.50, 0.5, "G4"), (3.00, 1.2, "E4"), (3.00, 1.2, "G4"),
           (3.00, 1.2, "A4"))
_NOTE_HZ = {"C4": 261.63, "E4": 329.63, "G4": 392.00, "A4": 440.00}


def _piano_note(f0, duration, sample_rate, rng, n_partials=12, inharmonicity=2e-4):
    """A piano-like tone: harmonic partials (slightly stretched, as in a stiff string) whose
    amplitudes fall with their number, each decaying exponentially (higher ones faster), after
    a 5 ms attack and before a 30 ms release."""
    t = np.arange(int(duration * sample_rate)) / sample_rate
    x = np.zeros_like(t)
    for k in range(1, n_partials + 1):
        fk = k * f0 * np.sqrt(1.0 + inharmonicity * k * k)
        if fk >= 0.45 * sample_rate:
            break
        amp = 0.6 ** (k - 1) * rng.uniform(0.8, 1.2)
        decay = 1.2 + 0.6 * k                      # 1/s
        x += amp * np.exp(-decay * t) * np.sin(2 * np.pi * fk * t + rng.uniform(0, 2 * np.pi))
    x *= np.minimum(1.0, t / 0.005) * np.minimum(1.0, (t[-1] - t) / 0.03 + 1e-9)
    return x


def make_audio(sample_rate: int = 8000, noise: float = 0.002, random_state: int = 0) -> Dataset:
    """A short melody of piano-like notes and its magnitude spectrogram (nothing recorded).

    Four pitches (C4, E4, G4, A4) in nine notes over four seconds, two or three sounding at
    once, plus a little white noise. ``X = |STFT|`` (scipy.signal.stft, 512-sample Hann
    frames, hop 128) with rows = time frames and columns = frequency bins, so at rank 4
    ``W`` holds when each note sounds and ``H`` its spectrum. The noise keeps every cell of X
    above 0, so the Itakura-Saito loss can fit it.

    Returns
    -------
    Dataset
        kind ``"audio"``; ``extras``: ``"audio"`` (the mixture, float), ``"sample_rate"``,
        ``"phase"`` (frames x bins, for resynthesis), ``"freqs"``, ``"times"``, ``"stft"``
        (the STFT settings), ``"true_H"`` (4 x bins: each pitch's normalised spectrum),
        ``"true_W"`` (frames x 4: its activation), ``"notes"`` (the pitch names),
        ``"sources"`` (4 x samples: each pitch's own signal).
    """
    from .audio import STFT, spectrogram

    rng = np.random.default_rng(random_state)
    names = tuple(_NOTE_HZ)
    length = int(4.2 * sample_rate)
    sources = np.zeros((len(names), length))
    for onset, duration, note in _MELODY:
        a = int(onset * sample_rate)
        tone = _piano_note(_NOTE_HZ[note], duration, sample_rate, rng)
        sources[names.index(note), a:a + tone.size] += 0.3 * tone
    x = sources.sum(axis=0) + noise * rng.standard_normal(length)
    X, phase, freqs, times = spectrogram(x, sample_rate)
    true_H = np.zeros((len(names), X.shape[1]))
    true_W = np.zeros((X.shape[0], len(names)))
    for k in range(len(names)):
        S = spectrogram(sources[k], sample_rate)[0]
        # the pitch's template: the dominant spectral shape of its own spectrogram
        _, _, vt = np.linalg.svd(S, full_matrices=False)
        h = np.abs(vt[0])
        true_H[k] = h / np.linalg.norm(h)
        true_W[:, k] = S @ true_H[k]
    return Dataset(
        name="audio", X=X, row_labels=tuple(f"{t:.3f} s" for t in times),
        col_labels=tuple(f"{f:.0f} Hz" for f in freqs), kind="audio", suggested_rank=len(names),
        description=(f"A synthesized 4-second melody of piano-like notes ({', '.join(names)}), "
                     "up to three at once: its magnitude spectrogram, time frames x frequency "
                     f"bins. At rank {len(names)} NMF should find one spectrum per note."),
        extras={"audio": x, "sample_rate": int(sample_rate), "phase": phase, "freqs": freqs,
                "times": times, "stft": dict(STFT), "true_H": true_H, "true_W": true_W,
                "notes": names, "sources": sources,
                "source": "Generated by nmfcore.datasets.make_audio, public domain."})


_DEMOS = {
    "swimmer": (make_swimmer, "Stick figures, 256 x 1024 images: 17 known parts (rank 17)."),
    "digits": (load_digits, "Hand-written digits 8x8, 1797 x 64 with labels (rank 10)."),
    "faces": (load_faces, f"Face photographs 25x25, 100 x 625, LFW (rank {FACES_RANK})."),
    "text": (load_text, "Std-lib docstring word counts, sparse, ~280 x 2000 (rank 8)."),
    "spectra": (make_spectra, "Mixtures of 4 peak-shaped spectra, 200 x 400 (rank 4)."),
    "genes": (make_genes, "Expression-like, 38 samples x 5000 genes, 3 groups (rank 3)."),
    "tiny": (make_tiny, "A 5 x 6 exact rank-2 matrix for stepping by hand (rank 2)."),
    "planted": (lambda: make_planted(100, 60, 4, noise=0.05, random_state=0),
                "Random rank-4 data with known W and H, 100 x 60, 5% noise (rank 4)."),
    "audio": (make_audio, "Spectrogram of a synthesized piano melody, 4 notes (rank 4)."),
}


def list_demos() -> dict[str, str]:
    """Names of the demo sets, each with a one-line description (in display order)."""
    return {name: desc for name, (_, desc) in _DEMOS.items()}


def load_demo(name: str) -> Dataset:
    """Load a demo set by name (see :func:`list_demos`).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    try:
        factory = _DEMOS[name][0]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown demo set {name!r}; choose one of: "
                         f"{', '.join(_DEMOS)}.") from None
    return factory()
