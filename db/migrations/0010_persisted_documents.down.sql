drop table if exists persisted_documents;
