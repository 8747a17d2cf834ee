"""One automatic check's result, as the airlock stores it (a translatable message and its values)."""

from __future__ import annotations

from dataclasses import dataclass, field

from yizhi.errors import N_

PASS, WARN, FAIL = "pass", "warn", "fail"


@dataclass
class Check:
    check: str
    status: str
    message: str
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"check": self.check, "status": self.status, "message": self.message, "params": self.params}

    def text(self, gettext=None) -> str:
        template = gettext(self.message) if gettext else self.message
        try:
            return template % self.params if self.params else template
        except (KeyError, ValueError, TypeError):
            return template


def passed(check: str, message: str = N_("passed"), **params) -> Check:
    return Check(check, PASS, message, params)


def warned(check: str, message: str, **params) -> Check:
    return Check(check, WARN, message, params)


def failed(check: str, message: str, **params) -> Check:
    return Check(check, FAIL, message, params)


def overall(checks: list[Check]) -> str:
    """``blocked`` if any check failed, ``warning`` if any warned, else ``passed``."""
    statuses = {c.status for c in checks}
    if FAIL in statuses:
        return "blocked"
    return "warning" if WARN in statuses else "passed"
