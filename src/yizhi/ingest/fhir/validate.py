"""Validation of one resource against the FHIR R4 model classes of ``fhir.resources`` (R4B models,
which read R4 JSON). Problems name the element path and the kind of failure, never the value."""

from __future__ import annotations

from functools import lru_cache

from pydantic import ValidationError


@lru_cache(maxsize=256)
def _model_class(resource_type: str):
    from fhir.resources.R4B import get_fhir_model_class

    try:
        return get_fhir_model_class(resource_type)
    except (KeyError, ValueError, AttributeError, ImportError):
        return None


def problems_of(resource) -> list[tuple[str, str, str]]:
    """[(element path, kind, reason)] for an invalid resource; [] when it is valid."""
    if not isinstance(resource, dict):
        return [("", "not_an_object", "not a JSON object")]
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        return [("resourceType", "missing_resource_type", "no resourceType")]
    model = _model_class(resource_type) if resource_type[:1].isupper() and resource_type.isalnum() else None
    if model is None:
        return [("resourceType", "unknown_resource_type", "not a FHIR R4 resource type")]
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        found = []
        for error in exc.errors(include_url=False, include_input=False)[:5]:
            where = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-"))
            found.append((where, error["type"], _reason(error)))
        return found or [("", "invalid", "invalid resource")]
    except (ValueError, TypeError) as exc:
        return [("", "invalid", type(exc).__name__)]
    return []


def _reason(error: dict) -> str:
    """pydantic's message without any quoted input (messages may quote the bad value)."""
    message = str(error.get("msg", "invalid"))
    return message.split(" [", 1)[0][:200]
