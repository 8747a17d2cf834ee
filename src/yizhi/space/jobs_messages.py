"""Tier B words built in Python or stored and translated where they are shown (marked for extraction)."""


def N_(message: str) -> str:  # noqa: N802 — the conventional gettext marker name
    return message


MESSAGES = [
    # job and output states, decisions, kinds
    N_("queued"), N_("running"), N_("succeeded"), N_("failed"),
    N_("passed"), N_("warning"), N_("blocked"),
    N_("pending"), N_("approved"), N_("rejected"), N_("not_needed"),
    N_("approve"), N_("reject"), N_("pass"), N_("warn"), N_("fail"),
    N_("table"), N_("figure"), N_("model"), N_("text"), N_("log"), N_("undeclared"),
    # automatic checks
    N_("declared"), N_("type"), N_("size"), N_("pseudonyms"), N_("patient_column"), N_("disclosure"),
    N_("model_format"), N_("external_data"), N_("domains"), N_("onnx_checker"), N_("instance_based"),
    N_("membership_inference"),
    # progress notes
    N_("unpacking the project"), N_("materialising the data view"), N_("running in the sandbox"),
    N_("checking the outputs"), N_("done"),
    # navigation
    N_("Sandboxed jobs"), N_("Output checks"),
]
