-- Autocomplete's nearest names starting with a prefix: a GiST index over the name's first
-- three letters (btree_gist equality) and the location, walked in distance order inside the
-- prefix's own part of the tree (0.4-0.6 ms at a million businesses, where walking all
-- businesses nearest first and testing each name took up to 1 s).
create index businesses_prefix_geo_idx on businesses using gist (left(name_normalized, 3), geo)
    where status = 'active' and deleted_at is null;
-- Names resembling a prefix came from a trigram ranking of every name in the country; a
-- mistyped prefix is now corrected against the vocabulary first (db/functions/42_search.sql).
drop index businesses_name_normalized_trgm_idx;
