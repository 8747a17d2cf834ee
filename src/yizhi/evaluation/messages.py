"""Values shown to users that are translated where shown (states, verdicts, phase kinds, tasks)."""

from yizhi.errors import N_

SHOWN_VALUES = (
    N_("queued"), N_("running"), N_("scored"), N_("failed"), N_("refused"),
    N_("pass"), N_("fail"), N_("no_criteria"),
    N_("sanity"), N_("hidden"), N_("best"), N_("latest"),
    N_("binary_classification"), N_("multiclass_classification"), N_("regression"), N_("survival_risk"),
)
