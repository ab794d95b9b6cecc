drop table persisted_document_ids;
