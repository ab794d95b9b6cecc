-- Keeping the search columns of businesses true, and the search vocabulary fresh.

-- The names of every category a business is listed under, ancestors included.
create function api.business_category_names(primary_id uuid, secondary_ids uuid[]) returns text
language sql stable as $$
    select coalesce(string_agg(c.name, ' ' order by c.level, c.name), '')
      from categories c
     where c.id = any(api.business_category_closure(primary_id, secondary_ids))
$$;

-- Name (A), categories and tags (B), description (C), city (D).
create function api.business_search_vector(
    name text, category_names text, tags text[], description text, city text
) returns tsvector
language sql immutable parallel safe as $$
    select setweight(to_tsvector('public.directory', coalesce(name, '')), 'A')
        || setweight(to_tsvector('public.directory',
                                 coalesce(category_names, '') || ' ' || coalesce(array_to_string(tags, ' '), '')), 'B')
        || setweight(to_tsvector('public.directory', coalesce(description, '')), 'C')
        || setweight(to_tsvector('public.directory', coalesce(city, '')), 'D')
$$;

create function api.normalized(text_in text) returns text
language sql immutable parallel safe as $$
    select lower(public.directory_unaccent(coalesce(text_in, '')))
$$;

create function api_private.businesses_set_search_columns() returns trigger
language plpgsql as $$
declare
    category_names text := api.business_category_names(new.primary_category_id, new.secondary_category_ids);
begin
    new.search_vector := api.business_search_vector(new.name, category_names, new.tags,
                                                    new.description, new.city);
    new.search_text := api.normalized(concat_ws(' ', new.name, category_names,
                                                array_to_string(new.tags, ' '), new.city));
    new.name_normalized := api.normalized(new.name);
    new.geo := case when new.latitude is not null
                    then public.ll_to_earth(new.latitude, new.longitude) end;
    return new;
end
$$;

create trigger businesses_set_search_columns
    before insert or update of name, description, tags, city, primary_category_id,
        secondary_category_ids, latitude, longitude
    on businesses for each row execute function api_private.businesses_set_search_columns();

-- Renaming a category changes what its businesses are found by.
create function api_private.categories_refresh_business_search() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    update businesses b set name = b.name
     where b.primary_category_id in (select id from categories where path @> array[new.id])
        or b.secondary_category_ids && array(select id from categories where path @> array[new.id]);
    return null;
end
$$;

create trigger categories_refresh_business_search after update of name on categories
    for each row when (old.name is distinct from new.name)
    execute function api_private.categories_refresh_business_search();

-- Rebuild the vocabulary (for "did you mean") and the city list (for autocomplete) from the
-- listed businesses. Cheap at demo size; at scale, run it on a schedule.
create function api_private.refresh_search_vocabulary() returns integer
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    terms integer;
begin
    delete from search_terms;
    insert into search_terms (term, frequency)
    select word, count(*)::integer
      from businesses b,
           regexp_split_to_table(b.search_text, '[^a-z0-9]+') as word
     where b.status = 'active' and b.deleted_at is null and length(word) >= 3
     group by word;
    get diagnostics terms = row_count;
    delete from search_cities;
    insert into search_cities (city, state, businesses)
    select city, state, count(*)::integer from businesses
     where status = 'active' and deleted_at is null group by city, state;
    return terms;
end
$$;

-- Rows written before these columns existed get them now; after the first run this
-- touches nothing. Maintenance, not an edit: kept out of the audit and change logs.
select set_config('gql.bulk_load', 'on', true);
update businesses set name = name where search_vector is null or name_normalized is null;
select api_private.refresh_search_vocabulary() where not exists (select 1 from search_terms);
