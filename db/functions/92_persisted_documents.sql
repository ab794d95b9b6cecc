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

-- Another name for a registered document: the id its client sends (Relay, an Apollo manifest,
-- GraphQL Code Generator). An id already naming another document is refused.
create function api_private.register_document_id(id text, sha256 text) returns void
language plpgsql volatile security definer set search_path = public, pg_temp as $$
begin
    insert into persisted_document_ids (id, sha256) values (register_document_id.id, register_document_id.sha256)
        on conflict on constraint persisted_document_ids_pkey do nothing;
    if not exists (select 1 from persisted_document_ids i
                    where i.id = register_document_id.id and i.sha256 = register_document_id.sha256) then
        raise exception 'the id % names another document already', register_document_id.id using errcode = '23505';
    end if;
end
$$;

-- The document registered under a hash or an id, or null.
create function api_private.registered_document(key text) returns text
language sql stable security definer set search_path = public, pg_temp as $$
    select p.document from persisted_documents p
     where p.sha256 = registered_document.key
        or p.sha256 = (select i.sha256 from persisted_document_ids i where i.id = registered_document.key)
     limit 1
$$;

revoke execute on function api_private.register_document(text, text, text) from public;
revoke execute on function api_private.registered_document(text) from public;
revoke execute on function api_private.register_document_id(text, text) from public;
