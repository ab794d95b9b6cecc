-- Finding businesses: ranked, typo-tolerant text search with filters, nearby by true
-- distance, autocomplete, and "did you mean".

-- Great-circle distance in metres (earthdistance's sphere) and the initial bearing in degrees.
create function api_private.distance_meters(b businesses, lat double precision, lon double precision)
returns double precision
language sql stable parallel safe as $$
    select public.earth_distance(b.geo, public.ll_to_earth(lat, lon))
$$;

create function api.bearing_degrees(from_lat double precision, from_lon double precision,
                                    to_lat double precision, to_lon double precision)
returns double precision
language sql immutable parallel safe as $$
    select (degrees(atan2(
                sin(radians(to_lon - from_lon)) * cos(radians(to_lat)),
                cos(radians(from_lat)) * sin(radians(to_lat))
                - sin(radians(from_lat)) * cos(radians(to_lat)) * cos(radians(to_lon - from_lon))))
            + 360)::numeric % 360
$$;

-- Does the business serve this point: within its service radius, or inside one of its
-- service areas (bounding box first, through the index; then the exact polygon test)?
create function api.serves_location(b businesses, lat double precision, lon double precision)
returns boolean
language sql stable parallel safe as $$
    select (b.service_radius_meters is not null and b.geo is not null
            and public.earth_distance(b.geo, public.ll_to_earth(lat, lon)) <= b.service_radius_meters)
        or exists (
            select 1 from business_service_areas a
             where a.business_id = b.id
               and a.bbox @> point(lon, lat)
               and a.exterior @> point(lon, lat)
               and not exists (select 1 from unnest(a.holes) h where h @> point(lon, lat)))
$$;

-- Edits between what was typed and a word: insertions, deletions, substitutions, and two
-- neighbouring letters swapped counted as one (the commonest slip: "wakl" for "walk").
create function api_private.typing_edits(typed text, word text) returns integer
language sql immutable parallel safe as $$
    select case when length(typed) = length(word) and typed <> word
                 and exists (select from generate_series(1, length(typed) - 1) i
                              where overlay(typed placing substr(typed, i + 1, 1) || substr(typed, i, 1)
                                            from i for 2) = word)
                then 1 else levenshtein(typed, word) end
$$;

-- The text query as a tsquery; null for a blank query. Every word must match (or any word,
-- with every_word false). A word the directory's vocabulary does not know also matches the
-- known words closest to it (one edit by api_private.typing_edits, two from five letters on)
-- and the known words it begins (from four letters on): typos and prefixes are tolerated by
-- the full-text index alone, with no trigram test of every candidate row (at a million
-- businesses that test cost up to 2 s for "auto repair"). A query in web-search syntax
-- (quotes, OR, -word) is taken as written.
create function api_private.search_tsquery(query text, every_word boolean default true) returns tsquery
language plpgsql stable set search_path = public, pg_temp
-- The trigram index proposes known words that share a fifth of their trigrams with the word
-- ("brgiht" shares 3 of 11 with "bright"); the edit distance decides.
set pg_trgm.similarity_threshold = 0.2
as $$
declare
    groups text[] := '{}';
    word text;
    alternatives text[];
begin
    if nullif(btrim(query), '') is null then
        return null;
    end if;
    if query ~* '"|(^|\s)-\S|\mor\M' then
        return websearch_to_tsquery('public.directory', query);
    end if;
    -- Words hold no spaces or ASCII punctuation (to_tsquery's operators are among them), so
    -- they join safely into its syntax; letters of any script stay (ASCII ones are the
    -- vocabulary's, and only those are corrected).
    for word in select w from regexp_split_to_table(api.normalized(query), '[[:space:][:punct:]]+') w
                 where w <> '' loop
        alternatives := array[word];
        if length(word) >= 3 and word ~ '^[a-z0-9]+$'
           and not exists (select from search_terms t where t.term = word) then
            alternatives := alternatives || array(
                select t.term
                  from search_terms t, lateral (select api_private.typing_edits(word, t.term) as edits) d
                 where t.term % word  -- (the trigram index first)
                   and (d.edits <= case when length(word) >= 5 then 2 else 1 end
                        or (length(word) >= 4 and t.term like word || '%'))
                 order by d.edits, t.frequency desc, t.term
                 limit 3);
        end if;
        groups := groups || ('(' || array_to_string(alternatives, ' | ') || ')');
    end loop;
    if groups = '{}' then
        return ''::tsquery;  -- punctuation only: matches nothing
    end if;
    return to_tsquery('public.directory', array_to_string(groups, case when every_word then ' & ' else ' | ' end));
end
$$;

-- The most matches a search with a location considers: the nearest ones, ten pages of twenty.
-- Ranking every match in a 25 km circle (19,000 for "auto repair" around Manhattan at a
-- million businesses) cost up to seconds; the nearest 200 come from one walk of an index over
-- location and text in distance order (businesses_geo_text_idx), 7-9 ms there, 12-15 ms for
-- 500. Directories cap results alike (Yelp's API at 1,000, Google Places' text search at 60).
create function api_private.search_nearest_limit() returns integer
language sql immutable parallel safe as $$ select 200 $$;

-- Does a listed business pass the search's text query and filters (null ones do not filter)?
create function api_private.search_matches(
    b businesses, p_tsq tsquery, p_category_ids uuid[], p_open_now boolean, p_open_at timestamptz,
    p_min_rating numeric, p_price_levels smallint[], p_attributes text[], p_serves_lat double precision, p_serves_lon double precision
) returns boolean
language sql stable as $$
    select api_private.business_listed_and_matches(b, p_category_ids, null, null, p_min_rating, p_price_levels, p_attributes)
       and (p_tsq is null or b.search_vector @@ p_tsq)
       and (p_open_now is not true or api.is_open_now(b))
       and (p_open_at is null or api.is_open_at(b.hours, b.special_hours, b.timezone, p_open_at))
       and (p_serves_lat is null or api.serves_location(b, p_serves_lat, p_serves_lon))
$$;

-- The businesses a search considers, with their rank for the query (0 without one) and their
-- distance from the center: every match without a location, the nearest
-- api_private.search_nearest_limit() matches within the radius with one. The text query and
-- the center come in as values (the callers are PL/pgSQL: their plans see them). Each branch
-- yields the table's own row value (a whole-row value of the union subquery instead crashed
-- PostgreSQL 18's validation of this function).
create function api_private.search_candidates(
    p_tsq tsquery, p_normalized text, p_center public.earth, p_radius double precision,
    p_category_ids uuid[], p_open_now boolean, p_open_at timestamptz, p_min_rating numeric, p_price_levels smallint[], p_attributes text[],
    p_serves_lat double precision, p_serves_lon double precision
) returns table (business businesses, rank double precision, distance double precision)
language sql stable as $$
    select f.b,
           case when p_tsq is null then 0::double precision
                else 2 * ts_rank_cd((f.b).search_vector, p_tsq, 32)
                     + word_similarity(p_normalized, (f.b).name_normalized)  -- short: cheap per row
                     + 0.05 * ((f.b).rating_avg / 5) * ln(1 + (f.b).review_count) / ln(1000) end,
           case when p_center is not null then public.earth_distance((f.b).geo, p_center) end
      from (select b from businesses b
             where p_center is null
               and api_private.search_matches(b, p_tsq, p_category_ids, p_open_now, p_open_at, p_min_rating, p_price_levels, p_attributes,
                                              p_serves_lat, p_serves_lon)
            union all
            (select b from businesses b
              where p_center is not null
                and api_private.search_matches(b, p_tsq, p_category_ids, p_open_now, p_open_at, p_min_rating, p_price_levels, p_attributes,
                                               p_serves_lat, p_serves_lon)
                and public.earth_box(p_center, p_radius) @> b.geo
                and public.earth_distance(b.geo, p_center) <= p_radius
              -- (No tie-breaker after the distance: PostgreSQL 15 then sorted every match in
              -- the circle, 89 ms instead of 9. Only businesses at one same point can tie.)
              order by b.geo <-> p_center
              limit api_private.search_nearest_limit())) f
$$;

-- A search's arguments as its statements use them: the text query, the center, and the
-- categories with their sub-categories. The text query asks for every word, or for any word
-- when no business the search considers has them all ("walk-in clinic" finds the urgent care
-- listed as walk-in). Also starts the index walk of a search with a center (see
-- api_private.walk_nearest_first).
create function api_private.prepare_search(
    p_query text, p_lat double precision, p_lon double precision, p_radius double precision,
    p_category_slugs text[], p_open_now boolean, p_open_at timestamptz, p_min_rating numeric, p_price_levels smallint[], p_attributes text[],
    p_serves_lat double precision, p_serves_lon double precision,
    out tsq tsquery, out normalized text, out center public.earth, out category_ids uuid[]
)
language plpgsql stable set search_path = public, pg_temp set plan_cache_mode = force_custom_plan as $$
begin
    tsq := api_private.search_tsquery(p_query);
    normalized := api.normalized(btrim(p_query));
    center := case when p_lat is not null then public.ll_to_earth(p_lat, p_lon) end;
    category_ids := case when p_category_slugs is not null then
                        array(select distinct c from unnest(p_category_slugs) s,
                                                     unnest(api_private.category_subtree_ids(s)) c) end;
    perform api_private.walk_nearest_first(center);
    if numnode(tsq) > 1 and not exists (
            select from api_private.search_candidates(tsq, normalized, center, p_radius, category_ids, p_open_now,
                                                      p_open_at, p_min_rating, p_price_levels, p_attributes, p_serves_lat, p_serves_lon)) then
        tsq := coalesce(api_private.search_tsquery(p_query, false), tsq);
    end if;
end
$$;

-- The nearest matches come from an index walk in distance order; a bitmap scan would find
-- every match in the circle first (what the limit is there to avoid). Set inside the search
-- functions, whose own `set enable_bitmapscan` ends it with them.
create function api_private.walk_nearest_first(center public.earth) returns void
language sql volatile as $$
    select set_config('enable_bitmapscan', (center is null)::text, true)
$$;

-- One page of search results in keyset order. p_sort: BEST_MATCH, DISTANCE, RATING or
-- REVIEW_COUNT; p_after: the sort key of the last row seen (id last).
--
-- The search functions read past RLS (security definer) and return listed businesses only
-- (active, not deleted: what every role may see). Under RLS the planner must apply the
-- policy before any operator not marked leakproof, so the text and cube operators could not
-- use their indexes: a search over 100,000 businesses took over a second instead
-- of milliseconds.
create function api.search_businesses(
    p_query text, p_lat double precision, p_lon double precision, p_radius double precision,
    p_category_slugs text[], p_open_now boolean, p_open_at timestamptz, p_min_rating numeric, p_price_levels smallint[], p_attributes text[],
    p_serves_lat double precision, p_serves_lon double precision,
    p_sort text, p_after jsonb, p_page_size integer
) returns table (business businesses, rank double precision, distance double precision)
language plpgsql stable security definer
set search_path = public, pg_temp
-- Plan each call for its own arguments: a generic plan cannot know which optional filters
-- are given, and falls back to scanning every business.
set plan_cache_mode = force_custom_plan
-- Room for exact bitmaps (a text query without a location).
set work_mem = '32MB'
set enable_bitmapscan = on  -- (restored on exit: see api_private.walk_nearest_first)
as $$
declare
    i record := api_private.prepare_search(p_query, p_lat, p_lon, p_radius, p_category_slugs, p_open_now,
                                           p_open_at, p_min_rating, p_price_levels, p_attributes, p_serves_lat, p_serves_lon);
begin
    if p_sort = 'BEST_MATCH' then
        return query
            select * from api_private.search_candidates(i.tsq, i.normalized, i.center, p_radius, i.category_ids,
                                                p_open_now, p_open_at, p_min_rating, p_price_levels, p_attributes, p_serves_lat, p_serves_lon) c
             where p_after is null or (c.rank, (c.business).id)
                   < ((p_after ->> 0)::double precision, (p_after ->> 1)::uuid)
             order by c.rank desc, (c.business).id desc
             limit p_page_size;
    elsif p_sort = 'DISTANCE' then
        return query
            select * from api_private.search_candidates(i.tsq, i.normalized, i.center, p_radius, i.category_ids,
                                                p_open_now, p_open_at, p_min_rating, p_price_levels, p_attributes, p_serves_lat, p_serves_lon) c
             where p_after is null or (c.distance, (c.business).id)
                   > ((p_after ->> 0)::double precision, (p_after ->> 1)::uuid)
             order by c.distance, (c.business).id
             limit p_page_size;
    elsif p_sort = 'RATING' then
        return query
            select * from api_private.search_candidates(i.tsq, i.normalized, i.center, p_radius, i.category_ids,
                                                p_open_now, p_open_at, p_min_rating, p_price_levels, p_attributes, p_serves_lat, p_serves_lon) c
             where p_after is null or ((c.business).rating_avg, (c.business).review_count, (c.business).id)
                   < ((p_after ->> 0)::numeric, (p_after ->> 1)::integer, (p_after ->> 2)::uuid)
             order by (c.business).rating_avg desc, (c.business).review_count desc, (c.business).id desc
             limit p_page_size;
    elsif p_sort = 'REVIEW_COUNT' then
        return query
            select * from api_private.search_candidates(i.tsq, i.normalized, i.center, p_radius, i.category_ids,
                                                p_open_now, p_open_at, p_min_rating, p_price_levels, p_attributes, p_serves_lat, p_serves_lon) c
             where p_after is null or ((c.business).review_count, (c.business).rating_avg, (c.business).id)
                   < ((p_after ->> 0)::integer, (p_after ->> 1)::numeric, (p_after ->> 2)::uuid)
             order by (c.business).review_count desc, (c.business).rating_avg desc, (c.business).id desc
             limit p_page_size;
    else
        raise exception 'unknown search order %', p_sort using errcode = '22023';
    end if;
end
$$;

-- PL/pgSQL, like api.search_businesses and api.autocomplete, not SQL: PostgreSQL 15 plans a
-- SQL function's statement once per call without the caller's values (18 uses the plan
-- cache), while PL/pgSQL's statements get a plan for the values (force_custom_plan) on both.
create function api.search_count(
    p_query text, p_lat double precision, p_lon double precision, p_radius double precision,
    p_category_slugs text[], p_open_now boolean, p_open_at timestamptz, p_min_rating numeric, p_price_levels smallint[], p_attributes text[],
    p_serves_lat double precision, p_serves_lon double precision
) returns bigint
language plpgsql stable security definer
set search_path = public, pg_temp
set plan_cache_mode = force_custom_plan
set work_mem = '32MB'  -- as in api.search_businesses
set enable_bitmapscan = on  -- as in api.search_businesses
as $$
declare
    i record := api_private.prepare_search(p_query, p_lat, p_lon, p_radius, p_category_slugs, p_open_now,
                                           p_open_at, p_min_rating, p_price_levels, p_attributes, p_serves_lat, p_serves_lon);
begin
    return (select count(*) from api_private.search_candidates(
                i.tsq, i.normalized, i.center, p_radius, i.category_ids, p_open_now, p_open_at, p_min_rating, p_price_levels, p_attributes,
                p_serves_lat, p_serves_lon));
end
$$;

-- The query with each word the directory does not know replaced by the closest one it does
-- (edit distance at most 2, or 1 for short words; the more frequent wins ties); null when
-- there is nothing to correct.
create function api.spelling_suggestion(query text) returns text
language sql stable as $$
    with words as (
        select word, ordinality
          from regexp_split_to_table(api.normalized(query), '[^a-z0-9]+') with ordinality as t(word, ordinality)
         where word <> ''
    ),
    corrected as (
        select w.ordinality, w.word,
               coalesce(
                   (select t.term from search_terms t where t.term = w.word),
                   (select t.term from search_terms t
                     where length(w.word) >= 3
                       and abs(length(t.term) - length(w.word)) <= 2
                       and levenshtein(t.term, w.word) <= case when length(w.word) >= 5 then 2 else 1 end
                     order by levenshtein(t.term, w.word), t.frequency desc, t.term
                     limit 1),
                   w.word) as fixed
          from words w
    )
    select case when bool_or(fixed <> word) then string_agg(fixed, ' ' order by ordinality) end
      from corrected
$$;

-- Is a listed business within `reach` metres of the center and after the cursor's (distance,
-- id)? (SQL, inlined: its box condition is what the GiST index answers.)
create function api_private.nearby_after(b businesses, center public.earth, reach double precision,
                                         after jsonb) returns boolean
language sql stable as $$
    select b.status = 'active' and b.deleted_at is null
       and public.earth_box(center, reach) @> b.geo
       and public.earth_distance(b.geo, center) <= reach
       and (after is null or (public.earth_distance(b.geo, center), b.id)
            > ((after ->> 0)::double precision, (after ->> 1)::uuid))
$$;

-- Nearest listed businesses within p_radius metres, nearest first (GiST k-nearest-neighbour
-- order on geo: the cube distance <-> grows with the great-circle distance), resuming after
-- (distance, id).
create function api.nearby_businesses(
    p_lat double precision, p_lon double precision, p_radius double precision,
    p_after jsonb, p_page_size integer
) returns table (business businesses, rank double precision, distance double precision)
language plpgsql stable security definer  -- (PL/pgSQL: see api.search_count; on PostgreSQL 15
set search_path = public, pg_temp         -- the SQL function took 95 ms at the median, 1.2 here)
set plan_cache_mode = force_custom_plan
as $$
declare
    center public.earth := public.ll_to_earth(p_lat, p_lon);
    edge double precision;  -- the distance of the page's last business
begin
    if current_setting('server_version_num')::integer >= 180000 then
        -- One walk of the index in (distance, id) order: 18 sorts only the ties (measured;
        -- the two steps below cost it twice as much).
        return query
        select b, 0::double precision, public.earth_distance(b.geo, center)
          from businesses b
         where api_private.nearby_after(b, center, p_radius, p_after)
         order by b.geo <-> center, b.id
         limit p_page_size;
        return;
    end if;
    -- The page's reach: one walk of the index in distance order, with no tie-breaker after the
    -- distance (PostgreSQL 15 sorts every business in the circle for one: 53 ms at the median).
    select max(n.d) into edge from (
        select public.earth_distance(b.geo, center) as d
          from businesses b
         where api_private.nearby_after(b, center, p_radius, p_after)
         order by b.geo <-> center
         limit p_page_size) n;
    -- Everything within that reach, in (distance, id) order: businesses tied at the edge come
    -- in the order of their ids, as the cursor expects.
    return query
    select b, 0::double precision, public.earth_distance(b.geo, center)
      from businesses b
     where edge is not null
       and api_private.nearby_after(b, center, edge, p_after)
     order by public.earth_distance(b.geo, center), b.id
     limit p_page_size;
end
$$;

create function api.nearby_count(p_lat double precision, p_lon double precision, p_radius double precision)
returns bigint
language plpgsql stable security definer set search_path = public, pg_temp  -- (as nearby_businesses)
set plan_cache_mode = force_custom_plan
as $$
declare
    center public.earth := public.ll_to_earth(p_lat, p_lon);
begin
    return (select count(*) from businesses b
             where b.status = 'active' and b.deleted_at is null
               and public.earth_box(center, p_radius) @> b.geo
               and public.earth_distance(b.geo, center) <= p_radius);
end
$$;

-- Up to n listed businesses whose normalized name starts with the prefix: the nearest first
-- (nearest: a center and three letters or more), from businesses_prefix_geo_idx, which holds
-- each name's first three letters beside its location; otherwise in the prefix index's order.
-- Two statements, one of which the caller's values switch off: each is one walk of its index
-- (one ORDER BY with a tie-breaker after the distance made PostgreSQL 15 sort every name with
-- the prefix: 48 ms for "aus" at a million businesses, against 0.6).
create function api_private.names_starting(prefix text, center public.earth, nearest boolean, n integer)
returns setof businesses
language sql stable as $$
    (select b.* from businesses b
      where nearest and b.status = 'active' and b.deleted_at is null
        and left(b.name_normalized, 3) = left(prefix, 3) and substr(b.name_normalized, 1, length(prefix)) = prefix
      order by b.geo <-> center
      limit n)
    union all
    (select b.* from businesses b
      where not nearest and b.status = 'active' and b.deleted_at is null and b.name_normalized like prefix || '%'
      order by b.name_normalized using ~<~
      limit n)
$$;

-- Suggestions as someone types: categories and cities whose name starts with the prefix or
-- resembles it (typos), and businesses whose name starts with it, nearer first when a
-- location is given. When too few names start with it, names starting with the known word it
-- nearly begins ("hosu": "hous...", from "house") follow, from four letters on. Each business
-- branch is one walk of an index: names in order (btree), or nearest first among the names
-- that share the prefix's first three letters (businesses_prefix_geo_idx), so a prefix that
-- few names near the point have costs no scan of every business near it (that cost up to 1 s
-- at a million businesses, and a trigram ranking of every name in the country 230 ms more).
create function api.autocomplete(p_prefix text, p_lat double precision, p_lon double precision,
                                 p_limit integer)
returns table (kind text, label text, slug text, business_id uuid, distance double precision,
               score double precision)
language plpgsql stable security definer  -- (PL/pgSQL: see api.search_count)
set search_path = public, pg_temp
-- Typo tolerance: one swapped letter in a seven-letter word keeps 57% of the query's
-- trigrams; pg_trgm's default (60%) would miss it.
set pg_trgm.word_similarity_threshold = 0.45
set plan_cache_mode = force_custom_plan
set enable_bitmapscan = on  -- (restored on exit: see api_private.walk_nearest_first)
as $$
#variable_conflict use_column
declare
    typed text := api.normalized(btrim(p_prefix));
    center public.earth := case when p_lat is not null then public.ll_to_earth(p_lat, p_lon) end;
    corrected text;
    -- Nearest names first from three letters on; shorter prefixes take names in order.
    nearest boolean := center is not null and length(typed) >= 3;
begin
    perform api_private.walk_nearest_first(center);
    if length(typed) >= 4 and typed ~ '^[a-z0-9]+$' then
        select left(t.term, length(typed)) into corrected
          from search_terms t
         where typed <% t.term and api_private.typing_edits(typed, left(t.term, length(typed))) = 1
         order by t.frequency desc, t.term
         limit 1;
    end if;
    -- Values (variables), not expressions, in the statement: index conditions and the GiST
    -- order need them.
    return query
    with categories_found as (
        select 'CATEGORY'::text as kind, c.name as label, c.slug as slug, null::uuid as business_id,
               null::double precision as distance,
               (api.normalized(c.name) like typed || '%')::int * 2
                   + word_similarity(typed, api.normalized(c.name)) as score
          from categories c
         where c.active and (api.normalized(c.name) like typed || '%' or typed <% api.normalized(c.name))
         order by score desc limit p_limit
    ),
    cities_found as (
        select 'CITY'::text as kind, s.city || ', ' || s.state as label, null::text as slug,
               null::uuid as business_id, null::double precision as distance,
               (api.normalized(s.city) like typed || '%')::int * 2
                   + word_similarity(typed, api.normalized(s.city)) + 0.01 * ln(1 + s.businesses) as score
          from search_cities s
         where lower(public.directory_unaccent(s.city)) like typed || '%'
            or typed <% lower(public.directory_unaccent(s.city))
         order by score desc limit p_limit
    ),
    prefix_hits as (
        select 'BUSINESS'::text as kind, b.name as label, b.slug as slug, b.id as business_id,
               public.earth_distance(b.geo, center) as distance,
               2 + word_similarity(typed, b.name_normalized) as score
          from api_private.names_starting(typed, center, nearest, p_limit) b
    ),
    corrected_hits as (
        select 'BUSINESS'::text as kind, b.name as label, b.slug as slug, b.id as business_id,
               public.earth_distance(b.geo, center) as distance,
               1 + word_similarity(typed, b.name_normalized) as score
          from api_private.names_starting(corrected, center, nearest, p_limit) b
         where corrected is not null and (select count(*) from prefix_hits) < p_limit
    )
    select * from (
        select * from categories_found
        union all select * from cities_found
        union all select * from prefix_hits
        union all select * from corrected_hits
    ) found
    order by score desc, distance nulls last, label
    limit p_limit;
end
$$;
