-- Reading businesses. Row visibility is RLS's job. The listing functions return listed
-- businesses only (active, not deleted: what every role may see) and read past RLS
-- (security definer) so that the planner may use the category and keyset indexes; see the
-- note at api.search_businesses.

create function api.businesses_by_id(ids uuid[]) returns setof businesses
language sql stable as $$
    select * from businesses where id = any(ids)
$$;

create function api.businesses_by_slug(slugs text[]) returns setof businesses
language sql stable as $$
    select * from businesses where slug = any(slugs)
$$;

-- The ids of a category and all its sub-categories; empty when the slug is unknown.
create function api_private.category_subtree_ids(category_slug text) returns uuid[]
language sql stable as $$
    select coalesce(array_agg(sub.id), '{}')
      from categories c join categories sub on sub.path @> array[c.id]
     where c.slug = category_slug
$$;

-- Shared filter of the listing; null arguments do not filter.
create function api_private.business_listed_and_matches(
    b businesses, p_category_ids uuid[], p_city text, p_state text, p_min_rating numeric, p_price_levels smallint[], p_attributes text[]
) returns boolean
language sql stable parallel safe as $$
    select b.status = 'active' and b.deleted_at is null
       and (p_category_ids is null
            or b.primary_category_id = any(p_category_ids)
            or b.secondary_category_ids && p_category_ids)
       and (p_city is null or lower(b.city) = lower(p_city))
       and (p_state is null or lower(b.state) = lower(p_state))
       and (p_min_rating is null or (b.review_count > 0 and b.rating_avg >= p_min_rating))
       and (p_price_levels is null or b.price_level = any(p_price_levels))
       and (p_attributes is null or b.attributes @> p_attributes)
$$;

-- One page of the listing in keyset order. `p_after` holds the sort key of the last row seen
-- (a JSON array, the columns of the order by, id last); p_sort is NAME, RATING, REVIEW_COUNT
-- or NEWEST.
create function api.business_page(
    p_category_slug text, p_city text, p_state text, p_min_rating numeric, p_price_levels smallint[], p_attributes text[],
    p_sort text, p_after jsonb, p_page_size integer
) returns setof businesses
language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
    category_ids uuid[] := case when p_category_slug is null then null
                                else api_private.category_subtree_ids(p_category_slug) end;
begin
    if p_sort = 'NAME' then
        return query
            select * from businesses b
             where api_private.business_listed_and_matches(b, category_ids, p_city, p_state, p_min_rating, p_price_levels, p_attributes)
               and (p_after is null or (b.name, b.id) > (p_after ->> 0, (p_after ->> 1)::uuid))
             order by b.name, b.id
             limit p_page_size;
    elsif p_sort = 'RATING' then
        return query
            select * from businesses b
             where api_private.business_listed_and_matches(b, category_ids, p_city, p_state, p_min_rating, p_price_levels, p_attributes)
               and (p_after is null or (b.rating_avg, b.review_count, b.id)
                    < ((p_after ->> 0)::numeric, (p_after ->> 1)::integer, (p_after ->> 2)::uuid))
             order by b.rating_avg desc, b.review_count desc, b.id desc
             limit p_page_size;
    elsif p_sort = 'REVIEW_COUNT' then
        return query
            select * from businesses b
             where api_private.business_listed_and_matches(b, category_ids, p_city, p_state, p_min_rating, p_price_levels, p_attributes)
               and (p_after is null or (b.review_count, b.rating_avg, b.id)
                    < ((p_after ->> 0)::integer, (p_after ->> 1)::numeric, (p_after ->> 2)::uuid))
             order by b.review_count desc, b.rating_avg desc, b.id desc
             limit p_page_size;
    elsif p_sort = 'NEWEST' then
        return query
            select * from businesses b
             where api_private.business_listed_and_matches(b, category_ids, p_city, p_state, p_min_rating, p_price_levels, p_attributes)
               and (p_after is null or (b.created_at, b.id)
                    < ((p_after ->> 0)::timestamptz, (p_after ->> 1)::uuid))
             order by b.created_at desc, b.id desc
             limit p_page_size;
    else
        raise exception 'unknown business order %', p_sort using errcode = '22023';
    end if;
end
$$;

create function api.business_count(
    p_category_slug text, p_city text, p_state text, p_min_rating numeric, p_price_levels smallint[], p_attributes text[]
) returns bigint
language sql stable security definer set search_path = public, pg_temp as $$
    select count(*) from businesses b
     where api_private.business_listed_and_matches(
         b, case when p_category_slug is null then null
                 else api_private.category_subtree_ids(p_category_slug) end,
         p_city, p_state, p_min_rating, p_price_levels, p_attributes)
$$;
