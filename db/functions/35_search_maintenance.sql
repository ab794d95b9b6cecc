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

-- The words of a business's search text that the vocabulary keeps.
create function api_private.vocabulary_words(search_text text) returns setof text
language sql immutable parallel safe as $$
    select w from regexp_split_to_table(search_text, '[^a-z0-9]+') w where length(w) >= 3
$$;

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
      from businesses b, api_private.vocabulary_words(b.search_text) word
     where b.status = 'active' and b.deleted_at is null
     group by word;
    get diagnostics terms = row_count;
    delete from search_cities;
    insert into search_cities (city, state, businesses)
    select city, state, count(*)::integer from businesses
     where status = 'active' and deleted_at is null group by city, state;
    return terms;
end
$$;

-- The vocabulary and the city list follow the businesses as they change, a statement at a
-- time: each listed business's words and city count once, and a business that stops being
-- listed, or loses a word or moves, takes them back. (A bulk load rebuilds them once at its
-- end instead: api_private.refresh_search_vocabulary.) `changed` holds
-- [search_text, city, state, +1 or -1] per row that entered or left the listing as it was.
create function api_private.add_search_vocabulary(changed jsonb) returns void
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    terms text[];
begin
    with words as (
        select w as term, sum((r ->> 3)::integer)::integer as delta
          from jsonb_array_elements(changed) r, api_private.vocabulary_words(r ->> 0) w
         group by w having sum((r ->> 3)::integer) <> 0),
    written as (
        insert into search_terms as t (term, frequency)
        select term, delta from words order by term  -- one order: concurrent writers do not deadlock
        on conflict (term) do update set frequency = t.frequency + excluded.frequency
        returning t.term)
    select array_agg(term) into terms from written;
    delete from search_terms where term = any(terms) and frequency <= 0;
    insert into search_cities as c (city, state, businesses)
    select r ->> 1, r ->> 2, sum((r ->> 3)::integer)::integer
      from jsonb_array_elements(changed) r
     where r ->> 1 is not null and r ->> 2 is not null
     group by 1, 2 having sum((r ->> 3)::integer) <> 0
     order by 1, 2
    on conflict (city, state) do update set businesses = c.businesses + excluded.businesses;
    delete from search_cities c
     using jsonb_array_elements(changed) r
     where c.city = r ->> 1 and c.state = r ->> 2 and c.businesses <= 0;
end
$$;

create function api_private.businesses_track_vocabulary() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    changed jsonb;
begin
    if current_setting('gql.bulk_load', true) = 'on' and not api_private.in_request() then
        return null;
    end if;
    if tg_op = 'INSERT' then
        select jsonb_agg(jsonb_build_array(n.search_text, n.city, n.state, 1)) into changed
          from new_rows n where n.status = 'active' and n.deleted_at is null;
    elsif tg_op = 'DELETE' then
        select jsonb_agg(jsonb_build_array(o.search_text, o.city, o.state, -1)) into changed
          from old_rows o where o.status = 'active' and o.deleted_at is null;
    else  -- only rows whose listing or words changed
        select jsonb_agg(s.entry) into changed
          from old_rows o join new_rows n using (id),
               lateral (values (jsonb_build_array(o.search_text, o.city, o.state, -1),
                                o.status = 'active' and o.deleted_at is null),
                               (jsonb_build_array(n.search_text, n.city, n.state, 1),
                                n.status = 'active' and n.deleted_at is null)) s(entry, listed)
         where s.listed
           and (o.search_text, o.city, o.state, o.status, o.deleted_at)
               is distinct from (n.search_text, n.city, n.state, n.status, n.deleted_at);
    end if;
    if changed is not null then
        perform api_private.add_search_vocabulary(changed);
    end if;
    return null;
end
$$;

create trigger businesses_track_vocabulary_insert after insert on businesses
    referencing new table as new_rows
    for each statement execute function api_private.businesses_track_vocabulary();
create trigger businesses_track_vocabulary_update after update on businesses
    referencing old table as old_rows new table as new_rows
    for each statement execute function api_private.businesses_track_vocabulary();
create trigger businesses_track_vocabulary_delete after delete on businesses
    referencing old table as old_rows
    for each statement execute function api_private.businesses_track_vocabulary();

-- Rows written before these columns existed get them now; after the first run this
-- touches nothing. Maintenance, not an edit: kept out of the audit and change logs.
select set_config('gql.bulk_load', 'on', true);
update businesses set name = name where search_vector is null or name_normalized is null;
select api_private.refresh_search_vocabulary() where not exists (select 1 from search_terms);
