-- Trusted documents (persisted_documents): registered by the operator's command, read by the
-- server. Neither is for request roles (revoked below): a client that could register a
-- document could run anything in allow-list mode.

-- Register a document under its hash; true when it was new.
create function api_private.register_document(sha256 text, document text, source text)
returns boolean
language plpgsql volatile security definer set search_path = public, pg_temp as $$
begin
    if encode(sha256(convert_to(document, 'UTF8')), 'hex') <> register_document.sha256 then
        raise exception 'the hash does not match the document' using errcode = '22023';
    end if;
    insert into persisted_documents (sha256, document, source)
    values (register_document.sha256, register_document.document, register_document.source)
    on conflict on constraint persisted_documents_pkey do nothing;
    return found;
end
$$;

-- The document registered under a hash, or null.
create function api_private.registered_document(sha256 text) returns text
language sql stable security definer set search_path = public, pg_temp as $$
    select p.document from persisted_documents p where p.sha256 = registered_document.sha256
$$;

revoke execute on function api_private.register_document(text, text, text) from public;
revoke execute on function api_private.registered_document(text) from public;
