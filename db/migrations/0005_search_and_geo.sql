-- Search and geo on core PostgreSQL + contrib (no PostGIS): full-text search with unaccent
-- and English stemming, trigram typo tolerance, a vocabulary for "did you mean",
-- earthdistance for nearby queries, and service areas as planar polygons with a bounding-box
-- index. Columns derived from a business (search_vector, search_text, geo) are kept by
-- triggers in db/functions/35_search_maintenance.sql.

create extension if not exists fuzzystrmatch;

-- unaccent is only STABLE (it reads a dictionary); indexes need an IMMUTABLE wrapper. The
-- dictionary is named with its schema so that a restore with an empty search_path works.
create function public.directory_unaccent(text) returns text
language sql immutable strict parallel safe as $$
    select public.unaccent('public.unaccent'::regdictionary, $1)
$$;

-- English stemming after accent folding: "Cafés" and "cafe" meet as "cafe".
create text search configuration public.directory (copy = pg_catalog.english);
alter text search configuration public.directory
    alter mapping for hword, hword_part, word with public.unaccent, english_stem;

alter table businesses
    add column search_vector tsvector,
    -- Name, categories, tags and city, lower-cased and unaccented: for trigram matching.
    add column search_text text,
    -- The location on the earth (a cube point), for earthdistance and nearest-neighbour order.
    add column geo public.earth;

create index businesses_search_vector_idx on businesses using gin (search_vector);
create index businesses_search_text_trgm_idx on businesses using gin (search_text gin_trgm_ops);
create index businesses_name_trgm_idx on businesses
    using gin (lower(public.directory_unaccent(name)) gin_trgm_ops);
create index businesses_name_prefix_idx on businesses
    (lower(public.directory_unaccent(name)) text_pattern_ops)
    where status = 'active' and deleted_at is null;
create index businesses_geo_idx on businesses using gist (geo)
    where status = 'active' and deleted_at is null;

-- A service area is a polygon (longitude, latitude) with optional holes; bbox for the index.
create table business_service_areas (
    id bigint generated always as identity primary key,
    business_id uuid not null references businesses (id) on delete cascade,
    exterior polygon not null,
    holes polygon[] not null default '{}',
    bbox box not null,
    geojson jsonb not null,
    created_at timestamptz not null default now()
);
create index business_service_areas_bbox_idx on business_service_areas using gist (bbox);
create index business_service_areas_business_idx on business_service_areas (business_id);

-- The words of the directory (names, categories, tags, cities) with how often they occur,
-- for spelling suggestions; and its cities, for autocomplete. Refreshed by
-- api.refresh_search_vocabulary().
create table search_terms (
    term text primary key,
    frequency integer not null
);
create table search_cities (
    city text not null,
    state text not null,
    businesses integer not null,
    primary key (city, state)
);
create index search_cities_city_trgm_idx on search_cities
    using gin (lower(public.directory_unaccent(city)) gin_trgm_ops);

grant select on business_service_areas, search_terms, search_cities to gql_anonymous, gql_user;
grant select, insert, delete on business_service_areas to gql_user;
grant select, insert, update, delete on business_service_areas, search_terms, search_cities to gql_admin;
alter table business_service_areas enable row level security;
