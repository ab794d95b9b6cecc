-- The scale data set, generated set-wise inside PostgreSQL. bench/dataset.py runs each
-- "-- step:" below in one transaction, with the loaded tables' triggers, keys, foreign keys
-- and indexes dropped (and rebuilt after), so this script writes what the triggers would
-- have: search columns, rating summaries, counts.
-- A subquery whose random() columns are read more than once ends in `offset 0`, which keeps
-- the planner from inlining it (each inlined reference would draw a new random number).
-- Sizes and word lists come from the temporary table bench_params (one jsonb row, v).
-- Ids are md5 of a running number, so a later run can refer to earlier runs' rows.
-- Words are picked by joining a random index to a word table: reading a large array or
-- jsonb value per row would detoast all of it for every row.

-- step: vocabulary
create temporary table bench_size on commit drop as
select (v ->> 'businesses')::int as businesses, (v ->> 'base_business')::int as base_business,
       (v ->> 'users')::int as users, (v ->> 'base_user')::int as base_user,
       (v ->> 'reviews')::int as reviews, (v ->> 'words_per_list')::int as words,
       (select count(*) from jsonb_array_elements(v -> 'leaves'))::int as leaves,
       (select sum((c ->> 'weight')::int) from jsonb_array_elements(v -> 'cities') c)::int as cities
  from bench_params;

-- Every list has words_per_list entries (Python repeats the short ones).
create temporary table bench_word on commit drop as
select l.key as list, (w.ordinality - 1)::int as i, w.value as word
  from bench_params p, jsonb_each(p.v -> 'words') l, jsonb_array_elements_text(l.value) with ordinality w;

-- Review texts by rating, with {kw} / {Kw} where a keyword of the business goes.
create temporary table bench_review_text on commit drop as
select (t ->> 'rating')::int as rating, (t ->> 'i')::int as i, t ->> 'title' as title, t ->> 'content' as content
  from bench_params p, jsonb_array_elements(p.v -> 'review_texts') t;

create temporary table bench_hours on commit drop as
select h.key as profile, (s.ordinality - 1)::int as i, s.value as hours, jsonb_array_length(h.value) as choices
  from bench_params p, jsonb_each(p.v -> 'hours') h, jsonb_array_elements(h.value) with ordinality s;

create temporary table bench_leaf on commit drop as
select (row_number() over (order by l.id) - 1)::int as i, l.id, l.name, l.nouns, l.keywords, l.hours,
       api.business_category_names(l.id, '{}') as category_names
  from bench_params p,
       jsonb_to_recordset(p.v -> 'leaves') as l(id uuid, name text, nouns text[], keywords text[], hours text);

-- Each city repeated by its weight: a uniform pick of a row is a weighted pick of a city.
create temporary table bench_city on commit drop as
select (row_number() over () - 1)::int as i, c.*
  from bench_params p,
       jsonb_to_recordset(p.v -> 'cities')
           as c(name text, state text, lat float8, lon float8, tz text, weight int, zip text),
       generate_series(1, c.weight);
analyze bench_word, bench_review_text, bench_hours, bench_leaf, bench_city;

-- step: users
insert into users (id, display_name, created_at, updated_at)
select md5('bench-user-' || x.n)::uuid,
       f.word || ' ' || left(l.word, 1) || '.', x.joined, x.joined
  from (select n, floor(random() * s.words)::int as first_i, floor(random() * s.words)::int as last_i,
               now() - random() * interval '1500 days' as joined
          from bench_size s, generate_series(s.base_user + 1, s.base_user + s.users) n offset 0) x
  join bench_word f on f.list = 'first_names' and f.i = x.first_i
  join bench_word l on l.list = 'last_names' and l.i = x.last_i;

-- step: plan businesses
-- One row per business to add, with the choices the demo seed makes (gql/commands/seed.py).
create temporary table bench_plan on commit drop as
select x.n, x.id, x.leaf_id, x.leaf_name, x.keywords, x.hours_profile, x.category_names,
       x.city_name, x.state, x.tz, x.zip, x.lat, x.lon, x.created_at, x.quality, x.deleted_roll,
       x.status, x.owner_id, x.secondary, x.keywords_shuffled,
       case x.pattern
           when 0 then ln.word || case when right(ln.word, 1) = 's' then ''' ' else '''s ' end
           when 1 then x.city_name || ' '
           when 2 then adj.word || ' '
           else 'The ' || adj.word || ' '
       end || x.noun as name
  from (
      select g.n, md5('bench-business-' || g.n)::uuid as id,
             l.id as leaf_id, l.name as leaf_name, l.keywords, l.hours as hours_profile, l.category_names,
             l.nouns[1 + floor(random() * cardinality(l.nouns))::int] as noun,
             floor(random() * 4)::int as pattern,
             floor(random() * s.words)::int as last_name_i, floor(random() * s.words)::int as adjective_i,
             c.name as city_name, c.state, c.tz, c.zip,
             -- Businesses thin out with distance from the centre (Box-Muller, sd about 7 km).
             round((c.lat + 0.06 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))::numeric, 6)::float8 as lat,
             round((c.lon + 0.06 / cos(radians(c.lat)) * sqrt(-2 * ln(1 - random()))
                    * cos(2 * pi() * random()))::numeric, 6)::float8 as lon,
             now() - interval '30 days' - random() * interval '1430 days' as created_at,
             2.3 + random() * 2.6 as quality, random() as deleted_roll,
             case when r.status_roll < 0.88 then 'active' when r.status_roll < 0.95 then 'draft'
                  else 'suspended' end as status,
             -- Owners come from the second half of the new users, reviewers from the first 3/4.
             case when random() < 0.6 then md5('bench-user-' || (s.base_user + s.users / 2 + 1
                      + floor(random() * (s.users - s.users / 2))::int))::uuid end as owner_id,
             case when random() < 0.15 then array(
                      select o.id from bench_leaf o where o.id <> l.id order by random() + g.n * 0 limit 1)
                  else '{}' end as secondary,
             array(select k from unnest(l.keywords) k order by random() + g.n * 0) as keywords_shuffled
        from bench_size s,
             generate_series(s.base_business + 1, s.base_business + s.businesses) g(n),
             lateral (select random() as status_roll, floor(random() * s.leaves)::int as leaf_i,
                             floor(random() * s.cities)::int as city_i, g.n * 0 as dependent) r
        join bench_leaf l on l.i = r.leaf_i
        join bench_city c on c.i = r.city_i
      offset 0
  ) x
  join bench_word ln on ln.list = 'last_names' and ln.i = x.last_name_i
  join bench_word adj on adj.list = 'adjectives' and adj.i = x.adjective_i;

-- step: reviews
-- Popularity follows the demo seed's long tail: weight 1 / rank^0.6 over a random ranking
-- of the open businesses. Authors of one business are consecutive (mod the reviewer pool)
-- from a random start, so no author reviews a business twice.
create temporary table bench_review_plan on commit drop as
select p.n, p.id, p.created_at, p.quality, p.keywords_shuffled, p.owner_id,
       least(s.users * 3 / 4, floor(s.reviews * weight / sum(weight) over () + random())::int) as reviews,
       floor(random() * (s.users * 3 / 4))::int as first_author
  from (select p.*, power(row_number() over (order by random()), -0.6) as weight
          from bench_plan p where p.status <> 'draft') p, bench_size s;

-- The rating summaries of the new businesses come from the rows as they are inserted.
create temporary table bench_rating on commit drop as
with inserted as (
insert into business_reviews (id, business_id, author_id, rating, title, content, visit_date,
                              status, published_at, created_at, updated_at)
select md5('bench-review-' || x.n || '-' || x.j)::uuid, x.business_id, x.author_id, x.rating, t.title,
       replace(replace(t.content, '{kw}', x.keyword), '{Kw}', initcap(x.keyword)),
       (x.created_at - floor(random() * 21)::int * interval '1 day')::date,
       x.status, case when x.status = 'published' then x.created_at end, x.created_at, x.created_at
  from (select r.n, j, r.id as business_id,
               md5('bench-user-' || (s.base_user + 1 + (r.first_author + j) % (s.users * 3 / 4)))::uuid as author_id,
               greatest(1, least(5, round(r.quality + sqrt(-2 * ln(1 - random()))
                                          * cos(2 * pi() * random()))))::smallint as rating,
               floor(random() * s.words)::int as text_i,
               r.keywords_shuffled[1 + floor(random() * 3)::int] as keyword,
               r.created_at + random() * (now() - r.created_at) as created_at,
               case when random() < 0.9 then 'published'
                    when random() < 0.7 then 'pending' else 'rejected' end as status
          from bench_review_plan r, bench_size s, generate_series(1, r.reviews) j offset 0) x
  join bench_review_text t on t.rating = x.rating and t.i = x.text_i
returning business_id, rating, status)
select business_id,
       array[count(*) filter (where rating = 1), count(*) filter (where rating = 2),
             count(*) filter (where rating = 3), count(*) filter (where rating = 4),
             count(*) filter (where rating = 5)]::int[] as counts,
       count(*)::int as total, round(avg(rating), 2) as average
  from inserted where status = 'published' group by business_id;

-- step: businesses
insert into businesses (id, slug, name, description, short_description, primary_category_id,
                        secondary_category_ids, tags, phone, email, website, address_line1, city,
                        state, zip_code, country, latitude, longitude, timezone, hours,
                        special_hours, status, published_at, suspended_at, suspension_reason,
                        deleted_at, subscription_tier, verification_status, verified_at,
                        quality_score, owner_id, rating_counts, review_count, rating_avg,
                        search_vector, search_text, name_normalized, geo, created_at, updated_at,
                        logo_url, cover_url, price_level, attributes, social_links, photos)
select x.id, x.slug, x.name, x.description,
       x.leaf_name || ' in ' || x.city_name || ': ' || x.keywords_shuffled[1] || ', ' || x.keywords_shuffled[2],
       x.leaf_id, x.secondary, x.keywords_shuffled[1:3],
       '+1 ' || (201 + floor(random() * 789))::int || '-555-' || lpad(floor(random() * 10000)::int::text, 4, '0'),
       'info@' || x.slug || '.example.com', 'https://www.' || x.slug || '.example.com',
       (100 + floor(random() * 9900))::int || ' ' || x.street,
       x.city_name, x.state, x.zip || lpad(floor(random() * 100)::int::text, 2, '0'), 'US',
       x.lat, x.lon, x.tz, h.hours,
       case when random() < 0.15 then jsonb_build_object(
           extract(year from now()) || '-12-25', '[]'::jsonb,
           extract(year from now()) || '-12-24', '[["09:00", "14:00"]]'::jsonb,
           extract(year from now()) + 1 || '-01-01', '[]'::jsonb) else '{}' end,
       x.status, case when x.status <> 'draft' then x.created_at end,
       case when x.status = 'suspended' then x.created_at + random() * (now() - x.created_at) end,
       case when x.status = 'suspended' then 'Reported as permanently closed' end,
       case when x.status = 'active' and x.deleted_roll < 0.01
            then x.created_at + random() * (now() - x.created_at) end,
       case when random() < 0.8 then 'free' when random() < 0.75 then 'premium' else 'elite' end,
       case when x.verified then 'verified' else 'pending' end,
       case when x.verified then x.created_at + random() * (now() - x.created_at) end,
       round((2.5 + random() * 2.5)::numeric, 2), x.owner_id,
       coalesce(rs.counts, '{0,0,0,0,0}'), coalesce(rs.total, 0), coalesce(rs.average, 0),
       api.business_search_vector(x.name, x.names, x.keywords_shuffled[1:3], x.description, x.city_name),
       api.normalized(concat_ws(' ', x.name, x.names, array_to_string(x.keywords_shuffled[1:3], ' '),
                                x.city_name)),
       api.normalized(x.name), public.ll_to_earth(x.lat, x.lon), x.created_at, x.created_at,
       -- the rich listing (the demo data set's shares, gql/commands/seed.py)
       case when random() < 0.7 then 'https://images.example.com/' || x.slug || '/logo.png' end,
       case when random() < 0.5 then 'https://images.example.com/' || x.slug || '/cover.jpg' end,
       case when random() < 0.9 then 1 + floor(random() * 4)::smallint end,
       array(select a from unnest(array['accepts_cards', 'delivery', 'outdoor_seating', 'parking',
                                        'takeout', 'wheelchair_accessible', 'wifi']) with ordinality u(a, i)
              where (x.attribute_bits >> (i::int - 1)) & 1 = 1 order by a),
       case when random() < 0.3 then jsonb_build_object('instagram', 'https://instagram.example.com/' || x.slug)
            else '{}' end,
       (select coalesce(jsonb_agg(jsonb_build_object(
                   'url', 'https://images.example.com/' || x.slug || '/photo-' || n || '.jpg',
                   'caption', null, 'primary', n = 1) order by n), '[]')
          from generate_series(1, x.photo_count) n)
  from (select y.*, st.word as street,
               trim(both '-' from regexp_replace(api.normalized(y.name || ' ' || y.city_name), '[^a-z0-9]+', '-', 'g'))
                   || '-' || y.n as slug,
               y.name || ' is a ' || lower(y.leaf_name) || ' business in ' || y.city_name || ', ' || y.state
                   || ', known for ' || y.keywords_shuffled[1] || ' and ' || y.keywords_shuffled[2] || '. '
                   || cp.word || '. We also offer ' || y.keywords_shuffled[3] || '.' as description,
               case when cardinality(y.secondary) = 0 then y.category_names
                    else api.business_category_names(y.leaf_id, y.secondary) end as names
          from (select p.*, random() < 0.4 as verified, floor(random() * s.words)::int as street_i,
                       floor(random() * s.words)::int as phrase_i, floor(random() * 3)::int as hours_pick,
                       floor(random() * 128)::int as attribute_bits, floor(random() * 4)::int as photo_count
                  from bench_plan p cross join bench_size s offset 0) y
          join bench_word st on st.list = 'streets' and st.i = y.street_i
          join bench_word cp on cp.list = 'catch_phrases' and cp.i = y.phrase_i
         offset 0) x  -- not flattened: slug and description are used more than once
  join bench_hours h on h.profile = x.hours_profile and h.i = x.hours_pick % h.choices
  left join bench_rating rs on rs.business_id = x.id;

-- step: managers and responses
insert into business_managers (business_id, user_id, role, created_at)
select p.id, md5('bench-user-' || (s.base_user + 1 + floor(random() * s.users)::int))::uuid, 'manager', p.created_at
  from bench_plan p, bench_size s
 where p.owner_id is not null and random() < 0.1
on conflict do nothing;

insert into review_responses (id, review_id, business_id, responder_id, content, created_at, updated_at)
select md5('bench-response-' || x.review_id)::uuid, x.review_id, x.business_id, x.owner_id, reply.word, x.at, x.at
  from (select r.id as review_id, r.business_id, p.owner_id, floor(random() * s.words)::int as reply_i,
               r.created_at + interval '2 hours' + random() * interval '94 hours' as at
          from business_reviews r
          join bench_review_plan p on p.id = r.business_id
          cross join bench_size s
         where p.owner_id is not null and r.status = 'published' and random() < 0.3 offset 0) x
  join bench_word reply on reply.list = 'replies' and reply.i = x.reply_i;

-- step: category counts
select api_private.recount_category_businesses();
