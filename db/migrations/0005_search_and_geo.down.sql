drop index if exists businesses_name_prefix_idx;
drop index if exists businesses_name_trgm_idx;
drop table if exists search_cities;
drop table if exists search_terms;
drop table if exists business_service_areas;
alter table businesses drop column if exists geo, drop column if exists search_text,
    drop column if exists search_vector;
drop text search configuration if exists public.directory;
drop function if exists public.directory_unaccent(text);
drop extension if exists fuzzystrmatch;
