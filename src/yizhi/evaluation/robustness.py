"""Defined perturbations of a table's feature matrix, each seeded, for the robustness section.

- ``noise``: Gaussian noise with a tenth of each column's standard deviation;
- ``missing``: 10% of the cells set to NaN (what the model does with a missing value is its own);
- ``unit_shift``: columns multiplied by the contract's unit factors (e.g. glucose mg/dL → mmol/L,
  1/18), or by 1.1 (a 10% calibration drift) where the contract names none;
- ``out_of_range``: 5% of the cases get one feature set beyond its plausible range (the contract's
  ``robustness.ranges``, else 10 × the column's largest absolute value).
"""

from __future__ import annotations

import numpy as np

from yizhi.errors import N_

PERTURBATIONS = ("noise", "missing", "unit_shift", "out_of_range")


def perturb(name: str, matrix: np.ndarray, seed: int, inputs: list[str], unit_factors: dict,
            ranges: dict) -> np.ndarray:
    rng = np.random.default_rng([seed, PERTURBATIONS.index(name)])
    out = matrix.astype(np.float64, copy=True)
    if name == "noise":
        scale = np.nanstd(out, axis=0) * 0.1
        out += rng.normal(size=out.shape) * np.nan_to_num(scale)
    elif name == "missing":
        out[rng.random(out.shape) < 0.10] = np.nan
    elif name == "unit_shift":
        factors = np.array([unit_factors.get(c, 1.1) for c in inputs])
        out *= factors
    elif name == "out_of_range":
        rows = np.flatnonzero(rng.random(len(out)) < 0.05)
        columns = rng.integers(0, out.shape[1], size=len(rows))
        # from the unperturbed columns: read from ``out`` inside the loop, each case set before raised
        # the next one's value tenfold (1e37 and inf on 10,000 cases)
        largest = np.nanmax(np.abs(matrix.astype(np.float64)), axis=0) if len(out) else np.zeros(out.shape[1])
        for row, col in zip(rows, columns, strict=True):
            name_ = inputs[col]
            out[row, col] = ranges[name_][1] * 2 if name_ in ranges else 10 * largest[col]
    else:
        raise ValueError(name)
    return out.astype(matrix.dtype)


def describe(name: str) -> str:
    return {
        "noise": N_("Gaussian noise, 0.1 × column SD"),
        "missing": N_("10% of cells missing (NaN)"),
        "unit_shift": N_("unit factors from the contract, else × 1.1"),
        "out_of_range": N_("5% of cases with one feature beyond its plausible range"),
    }[name]


# Images (``inputs: dicom``): each perturbation at three severities, applied to the prepared input
# tensor (after windowing / normalisation), over the last two axes (each slice's rows × columns).
IMAGE_PERTURBATIONS = ("image_noise", "image_blur", "image_contrast", "image_rotation")
IMAGE_SEVERITIES = {
    "image_noise": (0.05, 0.1, 0.2),      # Gaussian noise SD, × the tensor's SD
    "image_blur": (0.5, 1.0, 2.0),        # Gaussian blur sigma, pixels
    "image_contrast": (0.8, 0.6, 0.4),    # contrast factor around each case's mean
    "image_rotation": (5.0, 10.0, 20.0),  # degrees, in-plane, about the centre
}


def image_perturbation_names() -> list[str]:
    """``image_noise:1`` ... ``image_rotation:3``: the robustness rows of an image benchmark, in order."""
    return [f"{name}:{level}" for name in IMAGE_PERTURBATIONS for level in (1, 2, 3)]


def perturb_image(key: str, tensor: np.ndarray, seed: int) -> np.ndarray:
    """One seeded perturbation of a (cases, ..., H, W) tensor; the tensor itself is left alone."""
    from scipy import ndimage

    name, level = key.split(":")
    amount = IMAGE_SEVERITIES[name][int(level) - 1]
    rng = np.random.default_rng([seed, 100 + IMAGE_PERTURBATIONS.index(name), int(level)])
    out = tensor.astype(np.float64, copy=True)
    plane_axes = (out.ndim - 2, out.ndim - 1)
    if name == "image_noise":
        out += rng.normal(size=out.shape) * float(np.std(out)) * amount
    elif name == "image_blur":
        sigma = [0.0] * (out.ndim - 2) + [amount, amount]
        out = ndimage.gaussian_filter(out, sigma=sigma, mode="nearest")
    elif name == "image_contrast":
        axes = tuple(range(1, out.ndim))
        mean = out.mean(axis=axes, keepdims=True)
        out = mean + (out - mean) * amount
    else:
        out = ndimage.rotate(out, amount, axes=plane_axes, reshape=False, order=1, mode="nearest")
    return out.astype(tensor.dtype)


def describe_any(key: str) -> str:
    """The description (a msgid, translated where shown) of a table perturbation or an image one; an
    image row's own severity and amount are in :func:`severity_of`."""
    name = key.partition(":")[0]
    if name not in IMAGE_SEVERITIES:
        return describe(name)
    return {
        "image_noise": N_("Gaussian noise, SD 0.05 / 0.1 / 0.2 × the image SD (severity 1 / 2 / 3)"),
        "image_blur": N_("Gaussian blur, sigma 0.5 / 1 / 2 pixels (severity 1 / 2 / 3)"),
        "image_contrast": N_("contrast × 0.8 / 0.6 / 0.4 around each image's mean (severity 1 / 2 / 3)"),
        "image_rotation": N_("rotation by 5 / 10 / 20 degrees in plane (severity 1 / 2 / 3)"),
    }[name]


def severity_of(key: str) -> dict:
    """``{"severity": 1-3, "amount": ...}`` of an image perturbation key, else {}."""
    name, _, level = key.partition(":")
    if name not in IMAGE_SEVERITIES:
        return {}
    return {"severity": int(level), "amount": IMAGE_SEVERITIES[name][int(level) - 1]}
