"""Documents, one module per resource:

- `templates`: template versions (the built-in ones stored once, uploads linted, the version in force
  on a legal date);
- `content`: what each document says (the data its template receives);
- `generation`: the convention, its avenants, the contract avenant, the final statement and the recovery
  orders (payments' figures, decision 0033), rendered once and stored, every download logged;
- `downloads`: the download log;
- `signed_copies`: the countersigned convention, uploaded (its signatures checked) and served;
- `verification`: whether a PDF is one of ours and untouched (the agency's seal);
- `ports`: what these use cases need (the unit of work's repositories, the document adapters);
- `commands`, `errors`: their typed commands and their refusals.

The batches (many conventions rendered in the background) are in service_layer/batches.py.
"""

from __future__ import annotations

from conventions.service_layer.documents.commands import (
    DownloadAmendmentDocument,
    DownloadContractAvenant,
    DownloadConventionDocument,
    DownloadFinalStatement,
    DownloadRecoveryOrder,
    DownloadSignedCopy,
    Reader,
    RenderBatchItem,
    RequestBatch,
    RunDocumentBatches,
    StoreSignedCopy,
    UploadTemplateVersion,
    VerifyDocument,
)
from conventions.service_layer.documents.downloads import list_downloads
from conventions.service_layer.documents.generation import (
    StoredDocument,
    download_amendment_document,
    download_contract_avenant,
    download_convention_document,
    download_final_statement,
    download_recovery_order,
    visible_recovery_order,
)
from conventions.service_layer.documents.ports import BatchItemQueue, DocumentAdapters, DocumentsUnitOfWork
from conventions.service_layer.documents.signed_copies import (
    download_signed_copy,
    list_signed_copies,
    store_signed_copy,
)
from conventions.service_layer.documents.templates import (
    check_template_name,
    list_template_versions,
    templates_in_force,
    upload_template_version,
)
from conventions.service_layer.documents.verification import DocumentVerification, verify_document

__all__ = [
    "BatchItemQueue",
    "DocumentAdapters",
    "DocumentVerification",
    "DocumentsUnitOfWork",
    "DownloadAmendmentDocument",
    "DownloadContractAvenant",
    "DownloadConventionDocument",
    "DownloadFinalStatement",
    "DownloadRecoveryOrder",
    "DownloadSignedCopy",
    "Reader",
    "RenderBatchItem",
    "RequestBatch",
    "RunDocumentBatches",
    "StoreSignedCopy",
    "StoredDocument",
    "UploadTemplateVersion",
    "VerifyDocument",
    "check_template_name",
    "download_amendment_document",
    "download_contract_avenant",
    "download_convention_document",
    "download_final_statement",
    "download_recovery_order",
    "download_signed_copy",
    "list_downloads",
    "list_signed_copies",
    "list_template_versions",
    "store_signed_copy",
    "templates_in_force",
    "upload_template_version",
    "verify_document",
    "visible_recovery_order",
]
