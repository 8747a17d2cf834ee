"""Messages built in Python and translated where they are shown (marked for extraction)."""


def N_(message: str) -> str:  # noqa: N802 — the conventional gettext marker name
    return message


MESSAGES = [
    N_("Dashboard"), N_("Organisations"), N_("Jobs"),
    N_("log in first"), N_("not found"), N_("method not allowed"),
    N_("you do not have permission to do this"),
    N_("email or password is wrong"),
    N_("this account is locked after repeated failed logins; try again later"),
    N_("too many failed logins from this address; try again later"),
    N_("the form's security token is missing or stale; reload the page and try again"),
    N_("an internal error occurred; it has been logged"),
    N_("this invitation link is not valid"), N_("this invitation has already been accepted"),
    N_("this invitation has expired; ask for a new one"),
    N_("an organisation must keep at least one owner"),
    N_("the current password is wrong"), N_("the two new passwords differ"),
    N_("password must have at least 10 characters"), N_("password is too common or too repetitive"),
    N_("password must not contain the email name"), N_("name must not be empty"),
    N_("Registered. The commission will review your organisation."),
    N_("You have joined the organisation."), N_("Saved."),
    N_("Password changed. Your other sessions have been logged out."),
    N_("Token revoked."), N_("Role changed."), N_("Member removed."), N_("Invitation revoked."),
    N_("Organisation created."), N_("Organisation approved."), N_("Job queued again."),
    N_("commission"), N_("hospital"), N_("company"), N_("university"), N_("evaluator"),
    N_("owner"), N_("member"), N_("reviewer"), N_("annotator"),
    N_("queued"), N_("running"), N_("succeeded"), N_("failed"),
    N_("approved"), N_("awaiting approval"), N_("rejected"), N_("suspended"),
]
