"""Values shown to users that are translated where shown (states, verdicts, phase kinds, tasks, refusal codes)."""

from yizhi.errors import N_

SHOWN_VALUES = (
    N_("queued"), N_("running"), N_("scored"), N_("failed"), N_("refused"),
    N_("pass"), N_("fail"), N_("no_criteria"),
    N_("sanity"), N_("hidden"), N_("best"), N_("latest"),
    N_("binary_classification"), N_("multiclass_classification"), N_("regression"), N_("survival_risk"),
    # the codes of a refused or failed submission, shown beside its reason on the report page
    N_("model_refused"), N_("not_onnx"), N_("external_data"), N_("custom_domain"), N_("invalid_model"),
    N_("contract_mismatch"), N_("model_failed"), N_("timeout"), N_("memory_limit"), N_("run_failed"),
    N_("sandbox_unavailable"), N_("scoring_error"),
)
