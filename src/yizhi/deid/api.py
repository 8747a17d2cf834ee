"""JSON API of the deid domain under /api/v1/deid. Each kind of data adds its router here."""

from fastapi import APIRouter

from yizhi.deid.dicom.api import router as dicom_router
from yizhi.deid.tabular.api import router as tabular_router
from yizhi.deid.text.api import router as text_router

router = APIRouter(prefix="/api/v1/deid", tags=["deid"])
router.include_router(text_router)  # POST /api/v1/deid/text
router.include_router(dicom_router)  # POST /api/v1/deid/dicom, GET /api/v1/deid/dicom/{job_id}/{part}
router.include_router(tabular_router)  # POST /api/v1/deid/tabular, GET /api/v1/deid/tabular/{job_id}/{part}
