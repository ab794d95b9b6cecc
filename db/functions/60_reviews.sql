-- Reading reviews, their owner responses and their authors.

create function api.reviews_by_id(ids uuid[]) returns setof business_reviews
language sql stable as $$
    select * from business_reviews where id = any(ids) and deleted_at is null
$$;

-- Up to page_size published reviews of each business in `business_ids`, in keyset order.
-- `p_after` is the sort key of the last review seen (id last); it applies to every business,
-- so callers paging past the first page pass one business at a time.
-- p_sort: NEWEST, OLDEST, HIGHEST_RATING, LOWEST_RATING or MOST_HELPFUL.
create function api.review_pages(
    p_business_ids uuid[], p_sort text, p_after jsonb, p_page_size integer
) returns setof business_reviews
language plpgsql stable as $$
begin
    if p_sort = 'NEWEST' then
        return query
            select r.* from unnest(p_business_ids) as bid cross join lateral (
                select * from business_reviews r
                 where r.business_id = bid and r.status = 'published' and r.deleted_at is null
                   and (p_after is null or (r.created_at, r.id)
                        < ((p_after ->> 0)::timestamptz, (p_after ->> 1)::uuid))
                 order by r.created_at desc, r.id desc
                 limit p_page_size) r;
    elsif p_sort = 'OLDEST' then
        return query
            select r.* from unnest(p_business_ids) as bid cross join lateral (
                select * from business_reviews r
                 where r.business_id = bid and r.status = 'published' and r.deleted_at is null
                   and (p_after is null or (r.created_at, r.id)
                        > ((p_after ->> 0)::timestamptz, (p_after ->> 1)::uuid))
                 order by r.created_at, r.id
                 limit p_page_size) r;
    elsif p_sort = 'HIGHEST_RATING' then
        return query
            select r.* from unnest(p_business_ids) as bid cross join lateral (
                select * from business_reviews r
                 where r.business_id = bid and r.status = 'published' and r.deleted_at is null
                   and (p_after is null or (r.rating, r.created_at, r.id)
                        < ((p_after ->> 0)::smallint, (p_after ->> 1)::timestamptz, (p_after ->> 2)::uuid))
                 order by r.rating desc, r.created_at desc, r.id desc
                 limit p_page_size) r;
    elsif p_sort = 'LOWEST_RATING' then
        return query
            select r.* from unnest(p_business_ids) as bid cross join lateral (
                select * from business_reviews r
                 where r.business_id = bid and r.status = 'published' and r.deleted_at is null
                   and (p_after is null or (r.rating, r.created_at, r.id)
                        > ((p_after ->> 0)::smallint, (p_after ->> 1)::timestamptz, (p_after ->> 2)::uuid))
                 order by r.rating, r.created_at, r.id
                 limit p_page_size) r;
    elsif p_sort = 'MOST_HELPFUL' then
        return query
            select r.* from unnest(p_business_ids) as bid cross join lateral (
                select * from business_reviews r
                 where r.business_id = bid and r.status = 'published' and r.deleted_at is null
                   and (p_after is null or (r.helpful_count, r.created_at, r.id)
                        < ((p_after ->> 0)::integer, (p_after ->> 1)::timestamptz, (p_after ->> 2)::uuid))
                 order by r.helpful_count desc, r.created_at desc, r.id desc
                 limit p_page_size) r;
    else
        raise exception 'unknown review order %', p_sort using errcode = '22023';
    end if;
end
$$;

create function api.responses_by_review(review_ids uuid[]) returns setof review_responses
language sql stable as $$
    select * from review_responses where review_id = any(review_ids) and deleted_at is null
$$;

create function api.responses_by_id(ids uuid[]) returns setof review_responses
language sql stable as $$
    select * from review_responses where id = any(ids) and deleted_at is null
$$;
