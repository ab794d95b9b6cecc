-- Autocomplete compared unaccent(lower(name)) row by row: unaccent costs a dictionary lookup
-- per call, and a short prefix matches thousands of names (p95 220 ms at 100,000
-- businesses). Store the normalised name once (kept by the search-columns trigger), and
-- index it with GiST, whose trigram distance operator returns the closest names first
-- instead of every match.

alter table businesses add column name_normalized text;

drop index if exists businesses_name_trgm_idx;
drop index if exists businesses_name_prefix_idx;
create index businesses_name_normalized_trgm_idx on businesses using gist (name_normalized gist_trgm_ops)
    where status = 'active' and deleted_at is null;
create index businesses_name_normalized_prefix_idx on businesses (name_normalized text_pattern_ops)
    where status = 'active' and deleted_at is null;
