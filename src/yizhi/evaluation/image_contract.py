"""The ``image`` section of a task contract whose ``inputs`` is ``dicom`` (a DICOM series per case).

```yaml
inputs: dicom
table: cases                 # one row per case: the link, the reference, the subgroups
image:
  link: patient              # the column of ``table`` naming the case's series
  match: patient             # what it holds: patient | study_uid | series_uid (default: link's name if
                             # it is one of them, else series_uid)
  modality: CT               # only series of this modality (optional)
  slices: middle             # 2-D models only: middle | mean | max of the series' slices
  rescale: true              # apply RescaleSlope / RescaleIntercept (Hounsfield units for CT)
  window: {center: 40, width: 400}   # clip to the window and scale to [0, 1] ...
  normalize: none            # ... or none | minmax | zscore (per case); not both
model:
  input: {name: image, shape: [null, 1, 64, 64], dtype: float32}   # or [null, 1, D, H, W]
```

The series is resampled (linear interpolation, ``scipy.ndimage.zoom``) to the declared H × W (and D
slices for a 3-D input). Validation here is of the YAML only; :mod:`.images` checks the version.
"""

from __future__ import annotations

import math

from yizhi.errors import N_

MATCHES = ("patient", "study_uid", "series_uid")
SLICES = ("middle", "mean", "max")
NORMALIZE = ("none", "minmax", "zscore")
KEYS = {"link", "match", "modality", "slices", "rescale", "window", "normalize"}
MAX_SIDE = 1024
MAX_DEPTH = 512
MAX_VOXELS = 16 * 1024 * 1024      # per case: 64 MiB of float32


def image_section(section) -> dict:
    """The validated ``image`` mapping with its defaults filled in; ValidationFailed names the key."""
    from yizhi.evaluation.contract import _column, _fail, _number

    if not isinstance(section, dict):
        raise _fail(N_("task contract: %(key)s is missing (inputs: dicom needs it)"), "image")
    unknown = sorted(str(k) for k in section if k not in KEYS)
    if unknown:
        raise _fail(N_("task contract: unknown key(s) %(keys)s"), f"image.{unknown[0]}", keys=", ".join(unknown))
    link = _column(section.get("link"), "image.link")
    match = section.get("match", link if link in MATCHES else "series_uid")
    if match not in MATCHES:
        raise _fail(N_("task contract: %(key)s must be one of %(supported)s"), "image.match",
                    supported=", ".join(MATCHES))
    modality = section.get("modality")
    if modality is not None and (not isinstance(modality, str) or not modality.isalnum() or len(modality) > 16):
        raise _fail(N_("task contract: %(key)s must be a DICOM modality code such as CT or MR"), "image.modality")
    slices = section.get("slices", "middle")
    if slices not in SLICES:
        raise _fail(N_("task contract: %(key)s must be one of %(supported)s"), "image.slices",
                    supported=", ".join(SLICES))
    rescale = section.get("rescale", True)
    if not isinstance(rescale, bool):
        raise _fail(N_("task contract: %(key)s must be true or false"), "image.rescale")
    normalize = section.get("normalize", "none")
    if normalize not in NORMALIZE:
        raise _fail(N_("task contract: %(key)s must be one of %(supported)s"), "image.normalize",
                    supported=", ".join(NORMALIZE))
    window = section.get("window")
    if window is not None:
        if not isinstance(window, dict) or set(window) != {"center", "width"}:
            raise _fail(N_("task contract: %(key)s must be {center: number, width: number}"), "image.window")
        center, width = _number(window["center"], "image.window.center"), _number(window["width"], "image.window.width")
        if width <= 0:
            raise _fail(N_("task contract: %(key)s must be a positive number"), "image.window.width")
        if normalize != "none":
            raise _fail(N_("task contract: %(key)s: give a window or a normalisation, not both"), "image.normalize")
        window = {"center": center, "width": width}
    return {"link": link, "match": match, "modality": modality, "slices": slices, "rescale": rescale,
            "window": window, "normalize": normalize}


def image_model_input(shape, fail) -> list:
    """``model.input.shape`` of an image model: [null, C, H, W] (C 1 or 3) or [null, 1, D, H, W]."""
    key = "model.input.shape"
    message = N_("task contract: %(key)s must be [null, 1 or 3, H, W] or [null, 1, D, H, W] with whole numbers")
    if not isinstance(shape, list) or len(shape) not in (4, 5) or shape[0] is not None:
        raise fail(message, key)
    rest = shape[1:]
    if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in rest):
        raise fail(message, key)
    if (len(shape) == 4 and rest[0] not in (1, 3)) or (len(shape) == 5 and rest[0] != 1):
        raise fail(message, key)
    sides, depth = rest[-2:], (rest[1] if len(shape) == 5 else 1)
    if max(sides) > MAX_SIDE or depth > MAX_DEPTH or math.prod(rest) > MAX_VOXELS:
        raise fail(N_("task contract: %(key)s asks for %(voxels)s values per case; the limit is %(limit)s"), key,
                   voxels=math.prod(rest), limit=MAX_VOXELS)
    return list(shape)
