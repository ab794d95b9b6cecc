-- Reading reviews, their owner responses and their authors.

create function api.reviews_by_id(ids uuid[]) returns setof business_reviews
language sql stable as $$
    select * from business_reviews where id = any(ids) and deleted_at is null
$$;

-- One business's published reviews in keyset order, one function per order: up to
-- page_size after the sort key `after` (id last). Plain SQL, so that PostgreSQL inlines them
-- where they are called (a compiled read calls them per business, in one statement).

create function api.newest_reviews(business_id uuid, after jsonb, page_size integer)
returns setof business_reviews
language sql stable as $$
    select * from business_reviews r
     where r.business_id = newest_reviews.business_id and r.status = 'published' and r.deleted_at is null
       and (after is null or (r.created_at, r.id) < ((after ->> 0)::timestamptz, (after ->> 1)::uuid))
     order by r.created_at desc, r.id desc
     limit page_size
$$;

create function api.oldest_reviews(business_id uuid, after jsonb, page_size integer)
returns setof business_reviews
language sql stable as $$
    select * from business_reviews r
     where r.business_id = oldest_reviews.business_id and r.status = 'published' and r.deleted_at is null
       and (after is null or (r.created_at, r.id) > ((after ->> 0)::timestamptz, (after ->> 1)::uuid))
     order by r.created_at, r.id
     limit page_size
$$;

create function api.highest_rated_reviews(business_id uuid, after jsonb, page_size integer)
returns setof business_reviews
language sql stable as $$
    select * from business_reviews r
     where r.business_id = highest_rated_reviews.business_id and r.status = 'published' and r.deleted_at is null
       and (after is null or (r.rating, r.created_at, r.id)
                < ((after ->> 0)::smallint, (after ->> 1)::timestamptz, (after ->> 2)::uuid))
     order by r.rating desc, r.created_at desc, r.id desc
     limit page_size
$$;

create function api.lowest_rated_reviews(business_id uuid, after jsonb, page_size integer)
returns setof business_reviews
language sql stable as $$
    select * from business_reviews r
     where r.business_id = lowest_rated_reviews.business_id and r.status = 'published' and r.deleted_at is null
       and (after is null or (r.rating, r.created_at, r.id)
                > ((after ->> 0)::smallint, (after ->> 1)::timestamptz, (after ->> 2)::uuid))
     order by r.rating, r.created_at, r.id
     limit page_size
$$;

create function api.most_helpful_reviews(business_id uuid, after jsonb, page_size integer)
returns setof business_reviews
language sql stable as $$
    select * from business_reviews r
     where r.business_id = most_helpful_reviews.business_id and r.status = 'published' and r.deleted_at is null
       and (after is null or (r.helpful_count, r.created_at, r.id)
                < ((after ->> 0)::integer, (after ->> 1)::timestamptz, (after ->> 2)::uuid))
     order by r.helpful_count desc, r.created_at desc, r.id desc
     limit page_size
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
        return query select r.* from unnest(p_business_ids) as bid
                     cross join lateral api.newest_reviews(bid, p_after, p_page_size) r;
    elsif p_sort = 'OLDEST' then
        return query select r.* from unnest(p_business_ids) as bid
                     cross join lateral api.oldest_reviews(bid, p_after, p_page_size) r;
    elsif p_sort = 'HIGHEST_RATING' then
        return query select r.* from unnest(p_business_ids) as bid
                     cross join lateral api.highest_rated_reviews(bid, p_after, p_page_size) r;
    elsif p_sort = 'LOWEST_RATING' then
        return query select r.* from unnest(p_business_ids) as bid
                     cross join lateral api.lowest_rated_reviews(bid, p_after, p_page_size) r;
    elsif p_sort = 'MOST_HELPFUL' then
        return query select r.* from unnest(p_business_ids) as bid
                     cross join lateral api.most_helpful_reviews(bid, p_after, p_page_size) r;
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
