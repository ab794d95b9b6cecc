-- Triggers that keep derived columns true: timestamps, optimistic-concurrency versions,
-- the category tree's paths and counts, and each business's rating summary.
-- Counter triggers are statement-level with transition tables, so a bulk COPY costs one
-- aggregate update rather than one per row; they lock rows in id order to avoid deadlocks.

-- Columns of businesses derived from others (search): not an edit anyone made, so neither
-- audited nor announced.
create function api_private.derived_columns() returns text[]
language sql immutable parallel safe as $$
    select array['search_vector', 'search_text', 'geo', 'name_normalized', 'field_versions']
$$;

-- updated_at moves when content changes; the columns named in the trigger's arguments
-- (counters, bookkeeping) may change without moving it.
create function api_private.touch_updated_at() returns trigger
language plpgsql as $$
begin
    if (to_jsonb(new) - tg_argv) is distinct from (to_jsonb(old) - tg_argv) then
        new.updated_at := now();
    else
        new.updated_at := old.updated_at;
    end if;
    return new;
end
$$;

-- version + updated_at move only when content changes; the columns named in the trigger's
-- arguments (counters, bookkeeping) change without bumping the version, so a new review
-- never makes an owner's pending edit of the listing conflict. field_versions records the
-- version that last changed each content column (see migration 0018, api.check_mergeable).
create function api_private.touch_versioned() returns trigger
language plpgsql as $$
declare
    before jsonb := to_jsonb(old);
    changed jsonb;
begin
    select jsonb_object_agg(n.key, old.version + 1) into changed
      from jsonb_each(to_jsonb(new) - tg_argv - 'field_versions') n
     where n.value is distinct from before -> n.key;
    if changed is not null then
        new.version := old.version + 1;
        new.updated_at := now();
        new.field_versions := case when old.field_versions = '{}' then jsonb_build_object('*', old.version)
                                   else old.field_versions end || changed;
    else
        new.version := old.version;
        new.updated_at := old.updated_at;
        new.field_versions := old.field_versions;
    end if;
    return new;
end
$$;

create trigger businesses_touch before update on businesses
    for each row execute function api_private.touch_versioned(
        'version', 'updated_at', 'rating_counts', 'review_count', 'rating_avg',
        'search_vector', 'search_text', 'geo', 'name_normalized');  -- as api_private.derived_columns()
create trigger business_reviews_touch before update on business_reviews
    for each row execute function api_private.touch_versioned(
        'version', 'updated_at', 'helpful_count', 'not_helpful_count', 'flag_count');
create trigger users_touch before update on users
    for each row execute function api_private.touch_updated_at('updated_at');
create trigger categories_touch before update on categories
    for each row execute function api_private.touch_updated_at(
        'updated_at', 'children_count', 'business_count');
create trigger review_responses_touch before update on review_responses
    for each row execute function api_private.touch_updated_at('updated_at');
create trigger review_votes_touch before update on review_votes
    for each row execute function api_private.touch_updated_at('updated_at');

------------------------------------------------------------------------------------------
-- Category tree: path (ancestors then self), level, children_count.

create function api_private.categories_set_path() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    parent_path uuid[];
begin
    if new.parent_id is null then
        new.path := array[new.id];
    else
        select path into parent_path from categories where id = new.parent_id;
        if new.id = any(parent_path) then
            raise exception 'a category cannot be placed under itself or its own sub-category'
                using errcode = '23514', constraint = 'categories_no_cycle',
                      table = 'categories', column = 'parent_id';
        end if;
        new.path := coalesce(parent_path, '{}') || new.id;
    end if;
    new.level := cardinality(new.path) - 1;
    return new;
end
$$;

create trigger categories_set_path before insert or update of parent_id on categories
    for each row execute function api_private.categories_set_path();

create function api_private.categories_after_move() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    if tg_op in ('UPDATE', 'DELETE') and old.parent_id is not null then
        update categories set children_count = children_count - 1 where id = old.parent_id;
    end if;
    if tg_op in ('INSERT', 'UPDATE') and new.parent_id is not null then
        update categories set children_count = children_count + 1 where id = new.parent_id;
    end if;
    if tg_op = 'UPDATE' then
        -- Re-root the moved subtree, then recount: business counts roll up to ancestors.
        update categories
           set path = new.path || path[cardinality(old.path) + 1:],
               level = cardinality(new.path) + cardinality(path) - cardinality(old.path) - 1
         where path @> array[new.id] and id <> new.id;
        perform api_private.recount_category_businesses();
    end if;
    return null;
end
$$;

create trigger categories_after_insert after insert on categories
    for each row execute function api_private.categories_after_move();
create trigger categories_after_delete after delete on categories
    for each row execute function api_private.categories_after_move();
create trigger categories_after_move after update of parent_id on categories
    for each row when (old.parent_id is distinct from new.parent_id)
    execute function api_private.categories_after_move();

------------------------------------------------------------------------------------------
-- Category business counts: active, non-deleted businesses in a category or below it.

-- Every category a business is listed under, with all their ancestors, once each.
create function api.business_category_closure(primary_id uuid, secondary_ids uuid[])
returns uuid[]
language sql stable parallel safe as $$
    select coalesce(array_agg(distinct a), '{}')
      from categories c cross join lateral unnest(c.path) a
     where c.id = primary_id or c.id = any(secondary_ids)
$$;

create function api_private.recount_category_businesses() returns void
language sql security definer set search_path = public, pg_temp as $$
    update categories c
       set business_count = coalesce(n.count, 0)
      from categories c2
      left join (
          select cid, count(*)::integer as count
            from businesses b,
                 unnest(api.business_category_closure(b.primary_category_id, b.secondary_category_ids)) cid
           where b.status = 'active' and b.deleted_at is null
           group by cid
      ) n on n.cid = c2.id
     where c.id = c2.id and c.business_count is distinct from coalesce(n.count, 0)
$$;

create function api_private.add_category_business_counts(deltas jsonb) returns void
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    d record;
begin
    for d in
        select key::uuid as id, value::integer as delta
          from jsonb_each_text(deltas)
         where value::integer <> 0
         order by key::uuid
    loop
        update categories set business_count = business_count + d.delta where id = d.id;
    end loop;
end
$$;

create function api_private.businesses_count_categories() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    deltas jsonb;
begin
    if tg_op = 'INSERT' then
        select jsonb_object_agg(cid, n) into deltas from (
            select cid, count(*) as n
              from new_rows b, unnest(api.business_category_closure(b.primary_category_id, b.secondary_category_ids)) cid
             where b.status = 'active' and b.deleted_at is null
             group by cid) x;
    elsif tg_op = 'DELETE' then
        select jsonb_object_agg(cid, -n) into deltas from (
            select cid, count(*) as n
              from old_rows b, unnest(api.business_category_closure(b.primary_category_id, b.secondary_category_ids)) cid
             where b.status = 'active' and b.deleted_at is null
             group by cid) x;
    else
        -- Only rows whose listing or categories changed can move a count.
        select jsonb_object_agg(cid, n) into deltas from (
            select cid, sum(sign) as n from (
                select cid, s.sign
                  from old_rows o join new_rows n using (id),
                       lateral (values
                           (-1, o.primary_category_id, o.secondary_category_ids,
                            o.status = 'active' and o.deleted_at is null),
                           (1, n.primary_category_id, n.secondary_category_ids,
                            n.status = 'active' and n.deleted_at is null)
                       ) s(sign, primary_id, secondary_ids, listed),
                       unnest(api.business_category_closure(s.primary_id, s.secondary_ids)) cid
                 where s.listed
                   and (o.status, o.deleted_at, o.primary_category_id, o.secondary_category_ids)
                       is distinct from
                       (n.status, n.deleted_at, n.primary_category_id, n.secondary_category_ids)
            ) y group by cid) x;
    end if;
    if deltas is not null then
        perform api_private.add_category_business_counts(deltas);
    end if;
    return null;
end
$$;

create trigger businesses_count_categories_insert after insert on businesses
    referencing new table as new_rows
    for each statement execute function api_private.businesses_count_categories();
create trigger businesses_count_categories_update after update on businesses
    referencing old table as old_rows new table as new_rows
    for each statement execute function api_private.businesses_count_categories();
create trigger businesses_count_categories_delete after delete on businesses
    referencing old table as old_rows
    for each statement execute function api_private.businesses_count_categories();

------------------------------------------------------------------------------------------
-- Rating summary per business from its published, non-deleted reviews.

-- deltas: {business_id: [d1, d2, d3, d4, d5]} changes in the count of each star rating.
create function api_private.add_business_rating_counts(deltas jsonb) returns void
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    d record;
    counts integer[];
    total integer;
begin
    for d in
        select key::uuid as id, array(select jsonb_array_elements_text(value)::integer) as delta
          from jsonb_each(deltas)
         order by key::uuid
    loop
        select array(select c + dc from unnest(b.rating_counts, d.delta) as u(c, dc))
          into counts from businesses b where b.id = d.id for update;
        continue when counts is null;  -- the business went in the same statement
        total := counts[1] + counts[2] + counts[3] + counts[4] + counts[5];
        update businesses
           set rating_counts = counts,
               review_count = total,
               rating_avg = case when total = 0 then 0 else round(
                   (counts[1] + 2 * counts[2] + 3 * counts[3] + 4 * counts[4] + 5 * counts[5])::numeric
                   / total, 2) end
         where id = d.id;
    end loop;
end
$$;

-- The per-star deltas that a set of review rows contributes with the given sign.
create function api_private.rating_deltas(rows_and_signs jsonb) returns jsonb
language sql immutable parallel safe as $$
    select jsonb_object_agg(business_id, deltas)
      from (
          select business_id,
                 jsonb_build_array(
                     coalesce(sum(sign) filter (where rating = 1), 0), coalesce(sum(sign) filter (where rating = 2), 0),
                     coalesce(sum(sign) filter (where rating = 3), 0), coalesce(sum(sign) filter (where rating = 4), 0),
                     coalesce(sum(sign) filter (where rating = 5), 0)) as deltas
            from jsonb_to_recordset(rows_and_signs) as r(business_id uuid, rating integer, sign integer)
           group by business_id
          having sum(abs(sign)) > 0
      ) x
$$;

create function api_private.business_reviews_summarise() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    changes jsonb;
begin
    if tg_op = 'INSERT' then
        select jsonb_agg(jsonb_build_object('business_id', business_id, 'rating', rating, 'sign', 1))
          into changes from new_rows where status = 'published' and deleted_at is null;
    elsif tg_op = 'DELETE' then
        select jsonb_agg(jsonb_build_object('business_id', business_id, 'rating', rating, 'sign', -1))
          into changes from old_rows where status = 'published' and deleted_at is null;
    else
        select jsonb_agg(c) into changes from (
            select jsonb_build_object('business_id', o.business_id, 'rating', o.rating, 'sign', -1) c
              from old_rows o join new_rows n using (id)
             where o.status = 'published' and o.deleted_at is null
               and (o.status, o.deleted_at, o.rating, o.business_id)
                   is distinct from (n.status, n.deleted_at, n.rating, n.business_id)
            union all
            select jsonb_build_object('business_id', n.business_id, 'rating', n.rating, 'sign', 1)
              from old_rows o join new_rows n using (id)
             where n.status = 'published' and n.deleted_at is null
               and (o.status, o.deleted_at, o.rating, o.business_id)
                   is distinct from (n.status, n.deleted_at, n.rating, n.business_id)
        ) x;
    end if;
    if changes is not null then
        perform api_private.add_business_rating_counts(api_private.rating_deltas(changes));
    end if;
    return null;
end
$$;

create trigger business_reviews_summarise_insert after insert on business_reviews
    referencing new table as new_rows
    for each statement execute function api_private.business_reviews_summarise();
create trigger business_reviews_summarise_update after update on business_reviews
    referencing old table as old_rows new table as new_rows
    for each statement execute function api_private.business_reviews_summarise();
create trigger business_reviews_summarise_delete after delete on business_reviews
    referencing old table as old_rows
    for each statement execute function api_private.business_reviews_summarise();

------------------------------------------------------------------------------------------
-- Helpful / not helpful counts of a review from its votes.

create function api_private.review_votes_count() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        update business_reviews
           set helpful_count = helpful_count - (old.helpful)::integer,
               not_helpful_count = not_helpful_count - (not old.helpful)::integer
         where id = old.review_id;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        update business_reviews
           set helpful_count = helpful_count + (new.helpful)::integer,
               not_helpful_count = not_helpful_count + (not new.helpful)::integer
         where id = new.review_id;
    end if;
    return null;
end
$$;

create trigger review_votes_count after insert or delete or update of helpful on review_votes
    for each row execute function api_private.review_votes_count();
