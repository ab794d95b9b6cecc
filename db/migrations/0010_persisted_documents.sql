-- Trusted documents: GraphQL documents registered ahead of time by the operator (from a
-- client's build), known by the SHA-256 of their text. With GQL_PERSISTED_DOCUMENTS=allowlist
-- only these may run. Request roles have no access: RLS is on with no policy for them.
create table persisted_documents (
    sha256 text primary key,
    document text not null,
    source text,
    registered_at timestamptz not null default now(),
    constraint persisted_documents_hash_format check (sha256 ~ '^[0-9a-f]{64}$'),
    constraint persisted_documents_size check (octet_length(document) <= 1048576)
);
alter table persisted_documents enable row level security;
