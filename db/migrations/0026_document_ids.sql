-- A client's own ids for its registered documents: Relay's (MD5 by default, or whatever hash
-- it was configured with), an Apollo manifest's, GraphQL Code Generator's. The documents stay
-- known by the SHA-256 of their text (persisted_documents); an id is another name for one.
-- Operator input, like the documents themselves; request roles have no access.
create table persisted_document_ids (
    id text primary key,
    sha256 text not null references persisted_documents (sha256) on delete cascade,
    constraint persisted_document_ids_id_length check (char_length(id) between 1 and 200)
);
alter table persisted_document_ids enable row level security;
