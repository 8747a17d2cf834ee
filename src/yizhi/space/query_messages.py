"""Words built in Python or stored as codes and shown translated on Tier A pages."""

from yizhi.errors import N_

GRANT_STATES = [N_("active"), N_("expired"), N_("suspended"), N_("revoked"), N_("closed")]
CARD = [N_("Trusted data space"), N_("Run disclosure-controlled analyses on the datasets your grants cover."),
        N_("Open the data space"), N_("Data space")]
