"""Pages of the deid domain. Each kind of data adds its router and navigation here."""

from fastapi import APIRouter

from yizhi.deid.dicom import views as dicom_views
from yizhi.deid.text import views as text_views

router = APIRouter(include_in_schema=False)
router.include_router(text_views.router)  # /deid/text
router.include_router(dicom_views.router)  # /deid/dicom
NAV = [*text_views.NAV, *dicom_views.NAV]
