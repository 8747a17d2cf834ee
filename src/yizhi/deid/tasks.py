"""Job handlers of the deid domain: each kind of data keeps its own in its package; importing
them here registers them with the job queue (``yizhi worker`` discovers ``yizhi.deid.tasks``)."""

from yizhi.deid.dicom import tasks as dicom_tasks  # noqa: F401  deid.dicom
from yizhi.deid.tabular import tasks as tabular_tasks  # noqa: F401  deid.anonymize_table
