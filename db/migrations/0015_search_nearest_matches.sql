-- Search by the nearest matches: one GiST index over location and text, walked in distance
-- order with the text query checked in the index (db/functions/42_search.sql). Typos are
-- resolved against the vocabulary (a trigram index on its words) instead of a trigram test of
-- every business's search text, whose index goes.
create index businesses_geo_text_idx on businesses using gist (geo, search_vector)
    where status = 'active' and deleted_at is null;
drop index businesses_search_text_trgm_idx;
create index search_terms_term_trgm_idx on search_terms using gin (term gin_trgm_ops);
