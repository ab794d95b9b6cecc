create index businesses_name_normalized_trgm_idx on businesses using gist (name_normalized gist_trgm_ops)
    where status = 'active' and deleted_at is null;
drop index businesses_prefix_geo_idx;
