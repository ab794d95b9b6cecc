drop index if exists businesses_name_normalized_prefix_idx;
drop index if exists businesses_name_normalized_trgm_idx;
alter table businesses drop column if exists name_normalized;
create index businesses_name_trgm_idx on businesses
    using gin (lower(public.directory_unaccent(name)) gin_trgm_ops);
create index businesses_name_prefix_idx on businesses
    (lower(public.directory_unaccent(name)) text_pattern_ops)
    where status = 'active' and deleted_at is null;
