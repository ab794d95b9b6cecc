drop index search_terms_term_trgm_idx;
create index businesses_search_text_trgm_idx on businesses using gin (search_text gin_trgm_ops);
drop index businesses_geo_text_idx;
