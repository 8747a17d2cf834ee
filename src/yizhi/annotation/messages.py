"""Words shown to users that are built in Python or stored as codes (kinds, states, conditions,
designs, label types, metric names), marked here for extraction and translated where shown."""

from yizhi.errors import N_

WORDS = [
    N_("labeling"), N_("deid_review"), N_("reader_study"),
    N_("draft"), N_("open"), N_("closed"),
    N_("full"), N_("complete"), N_("disputed"), N_("resolved"),
    N_("training"), N_("qualified"), N_("failed"),
    N_("unaided"), N_("aided"), N_("sequential"), N_("crossover"),
    N_("class"), N_("likert"), N_("spans"), N_("boxes"), N_("masks"), N_("text"),
    N_("krippendorff_alpha"), N_("fleiss_kappa"), N_("f1_exact"), N_("f1_overlap"), N_("mean_iou"), N_("mean_dice"),
    N_("Exported as dataset version %(ref)s"),
    N_("Items are waiting for you in your annotation projects."), N_("Open"),
]
