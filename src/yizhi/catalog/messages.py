"""Words the catalog shows that are built in Python (states, facet names), marked for translation."""

from yizhi.errors import N_

STATE_LABELS = {
    "building": N_("building"), "ready": N_("ready"), "failed": N_("failed"),
    "published": N_("published"), "withdrawn": N_("withdrawn"),
    "receiving": N_("receiving"), "stored": N_("stored"), "purged": N_("purged"),
}
FACET_LABELS = {"disease": N_("Disease"), "organ": N_("Organ"), "modality": N_("Modality"),
                "hospital": N_("Hospital"), "size": N_("Size (records)")}
ORGANS = {"lung": N_("lung"), "eye": N_("eye"), "endocrine": N_("endocrine"), "brain": N_("brain")}
DISEASES = {"pulmonary nodule": N_("pulmonary nodule"), "diabetic retinopathy": N_("diabetic retinopathy"),
            "type 2 diabetes": N_("type 2 diabetes"), "stroke": N_("stroke")}
ACCESS = {"NON_PUBLIC": N_("non-public (through the trusted data space)"), "RESTRICTED": N_("restricted"),
          "PUBLIC": N_("public")}
