"""Which views a build evaluates (the shipped defaults, the profile's choice of them, and views
the user uploaded as ViewDefinition .json files), checked before any work starts."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from yizhi.errors import N_, ValidationFailed
from yizhi.ingest.fhir.viewdef import ViewError, compile_view, view_error
from yizhi.ingest.profile import Profile

VIEWS_DIR = Path(__file__).parent / "views"


def default_views() -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(VIEWS_DIR.glob("*.json"))}


def chosen_views(classified, profile: Profile) -> dict[str, dict]:
    defaults = default_views()
    if profile.fhir.views == "default":
        views = dict(defaults)
    else:
        unknown = [name for name in profile.fhir.views if name not in defaults]
        if unknown:
            raise ValidationFailed(N_("profile fhir.views: no default view %(name)s (there are: %(known)s)"),
                                   params={"name": unknown[0], "known": ", ".join(defaults)}, field="fhir.views")
        views = {name: defaults[name] for name in profile.fhir.views}
    for c in classified:
        if c.kind != "view":
            continue
        try:
            definition = orjson.loads(Path(c.path).read_bytes())
            view = compile_view(definition)
        except orjson.JSONDecodeError:
            raise ValidationFailed(N_("%(file)s: not valid JSON"), params={"file": c.name}, field="view") from None
        except ViewError as exc:
            raise view_error(c.name, exc) from None
        views[view.name] = definition  # an uploaded view replaces a default of the same name
    return views


def fhir_settings(classified, profile: Profile) -> dict:
    """What every FHIR work item carries: the views (as JSON text, compiled in the worker)."""
    views = chosen_views(classified, profile)
    return {"views": json.dumps([views[name] for name in sorted(views)], sort_keys=True)}
