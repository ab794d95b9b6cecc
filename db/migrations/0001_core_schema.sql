-- Core schema of the directory: users, the category tree, businesses, reviews with responses
-- and votes, business managers. Needs only core PostgreSQL >= 15 and contrib.
-- Counters (ratings, review and business counts, category paths) are kept by triggers that
-- live in db/functions; this file holds the tables, constraints and indexes.

create extension if not exists pg_trgm;
create extension if not exists unaccent;
create extension if not exists cube;
create extension if not exists earthdistance;
create extension if not exists btree_gist;

create table users (
    id uuid primary key default gen_random_uuid(),
    email text not null,
    display_name text not null,
    avatar_url text,
    password_hash text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    deleted_at timestamptz,
    constraint users_email_format check (email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$' and char_length(email) <= 254),
    constraint users_display_name_length check (char_length(display_name) between 1 and 100),
    constraint users_avatar_url_format check (avatar_url ~* '^https?://')
);
create unique index users_email_key on users (lower(email));

create table user_roles (
    user_id uuid not null references users (id) on delete cascade,
    role text not null,
    granted_at timestamptz not null default now(),
    granted_by uuid references users (id) on delete set null,
    primary key (user_id, role),
    constraint user_roles_role_known check (role in ('admin', 'moderator'))
);

-- The time zones this server knows, so a business's zone is checked by a foreign key.
create table time_zones (
    name text primary key
);
insert into time_zones (name) select distinct name from pg_timezone_names;

create table categories (
    id uuid primary key default gen_random_uuid(),
    parent_id uuid references categories (id) on delete restrict,
    slug text not null,
    name text not null,
    description text,
    icon text,
    -- Materialized path: the ids of every ancestor, then this category's own id.
    path uuid[] not null default '{}',
    level integer not null default 0,
    sort_order integer not null default 0,
    children_count integer not null default 0,
    -- Active, non-deleted businesses in this category or any sub-category.
    business_count integer not null default 0,
    active boolean not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint categories_slug_key unique (slug),
    constraint categories_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(slug) <= 100),
    constraint categories_name_length check (char_length(name) between 1 and 100),
    constraint categories_not_own_parent check (parent_id <> id)
);
create index categories_parent_idx on categories (parent_id, sort_order, name);
create index categories_path_idx on categories using gin (path);

create table businesses (
    id uuid primary key default gen_random_uuid(),
    slug text not null,
    name text not null,
    legal_name text,
    description text,
    short_description text,
    primary_category_id uuid not null references categories (id),
    secondary_category_ids uuid[] not null default '{}',
    tags text[] not null default '{}',
    phone text,
    email text,
    website text,
    address_line1 text,
    address_line2 text,
    city text not null,
    state text not null,
    zip_code text,
    country text not null default 'US',
    latitude double precision,
    longitude double precision,
    service_radius_meters integer,
    timezone text not null default 'America/New_York' references time_zones (name),
    -- {"mon": [["09:00", "17:00"]], ...}; an interval whose close is not after its open runs
    -- past midnight; "00:00"-"00:00" is open all day.
    hours jsonb not null default '{}',
    -- {"2026-12-25": [], "2026-12-24": [["09:00", "14:00"]]}: replaces that date's hours.
    special_hours jsonb not null default '{}',
    status text not null default 'draft',
    published_at timestamptz,
    suspended_at timestamptz,
    suspension_reason text,
    deleted_at timestamptz,
    subscription_tier text not null default 'free',
    verification_status text not null default 'pending',
    verified_at timestamptz,
    quality_score numeric(3, 2) not null default 0,
    owner_id uuid references users (id) on delete set null,
    -- Published, non-deleted reviews: counts per star (1..5), their number and mean.
    rating_counts integer[] not null default '{0,0,0,0,0}',
    review_count integer not null default 0,
    rating_avg numeric(3, 2) not null default 0,
    view_count bigint not null default 0,
    click_count bigint not null default 0,
    save_count bigint not null default 0,
    share_count bigint not null default 0,
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint businesses_slug_key unique (slug),
    constraint businesses_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and char_length(slug) <= 255),
    constraint businesses_name_length check (char_length(name) between 1 and 255),
    constraint businesses_legal_name_length check (char_length(legal_name) <= 255),
    constraint businesses_description_length check (char_length(description) <= 5000),
    constraint businesses_short_description_length check (char_length(short_description) <= 500),
    constraint businesses_tags_count check (cardinality(tags) <= 30),
    constraint businesses_phone_format check (phone ~ '^\+?[0-9][0-9 ().-]{5,19}$'),
    constraint businesses_email_format check (email ~* '^[^@\s]+@[^@\s]+\.[^@\s]+$' and char_length(email) <= 254),
    constraint businesses_website_format check (website ~* '^https?://[^\s]+$' and char_length(website) <= 500),
    constraint businesses_city_length check (char_length(city) between 1 and 100),
    constraint businesses_state_length check (char_length(state) between 1 and 50),
    constraint businesses_latitude_range check (latitude between -90 and 90),
    constraint businesses_longitude_range check (longitude between -180 and 180),
    constraint businesses_location_pair check ((latitude is null) = (longitude is null)),
    constraint businesses_service_radius_meters_range check (service_radius_meters between 1 and 500000),
    constraint businesses_hours_object check (jsonb_typeof(hours) = 'object'),
    constraint businesses_special_hours_object check (jsonb_typeof(special_hours) = 'object'),
    constraint businesses_status_known check (status in ('draft', 'active', 'suspended')),
    constraint businesses_subscription_tier_known check (subscription_tier in ('free', 'premium', 'elite')),
    constraint businesses_verification_status_known check (verification_status in ('pending', 'verified', 'rejected')),
    constraint businesses_quality_score_range check (quality_score between 0 and 5),
    constraint businesses_rating_counts_shape check (cardinality(rating_counts) = 5),
    constraint businesses_version_positive check (version > 0)
);
-- Keyset pagination of the public listing, one index per order; all partial on visibility.
create index businesses_listed_name_idx on businesses (name, id)
    where status = 'active' and deleted_at is null;
create index businesses_listed_rating_idx on businesses (rating_avg desc, review_count desc, id desc)
    where status = 'active' and deleted_at is null;
create index businesses_listed_review_count_idx on businesses (review_count desc, rating_avg desc, id desc)
    where status = 'active' and deleted_at is null;
create index businesses_listed_newest_idx on businesses (created_at desc, id desc)
    where status = 'active' and deleted_at is null;
create index businesses_primary_category_idx on businesses (primary_category_id);
create index businesses_secondary_categories_idx on businesses using gin (secondary_category_ids);
create index businesses_city_state_idx on businesses (lower(state), lower(city));
create index businesses_owner_idx on businesses (owner_id);

create table business_managers (
    business_id uuid not null references businesses (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    role text not null default 'manager',
    created_at timestamptz not null default now(),
    primary key (business_id, user_id),
    constraint business_managers_role_known check (role in ('manager', 'editor'))
);
create index business_managers_user_idx on business_managers (user_id);

create table business_reviews (
    id uuid primary key default gen_random_uuid(),
    business_id uuid not null references businesses (id) on delete cascade,
    author_id uuid not null references users (id) on delete cascade,
    rating smallint not null,
    title text,
    content text not null,
    visit_date date,
    status text not null default 'pending',
    moderation_notes text,
    helpful_count integer not null default 0,
    not_helpful_count integer not null default 0,
    flag_count integer not null default 0,
    version integer not null default 1,
    published_at timestamptz,
    edited_at timestamptz,
    deleted_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint business_reviews_rating_range check (rating between 1 and 5),
    constraint business_reviews_title_length check (char_length(title) <= 200),
    constraint business_reviews_content_length check (char_length(content) between 1 and 5000),
    constraint business_reviews_status_known check (status in ('pending', 'published', 'rejected')),
    constraint business_reviews_counts_non_negative check (helpful_count >= 0 and not_helpful_count >= 0 and flag_count >= 0)
);
-- One live review per author and business.
create unique index business_reviews_one_per_author on business_reviews (business_id, author_id)
    where deleted_at is null;
create index business_reviews_author_idx on business_reviews (author_id);
-- Keyset pagination of a business's published reviews, one index per order.
create index business_reviews_newest_idx on business_reviews (business_id, created_at desc, id desc)
    where status = 'published' and deleted_at is null;
create index business_reviews_rating_idx on business_reviews (business_id, rating desc, created_at desc, id desc)
    where status = 'published' and deleted_at is null;
create index business_reviews_helpful_idx on business_reviews (business_id, helpful_count desc, created_at desc, id desc)
    where status = 'published' and deleted_at is null;

create table review_responses (
    id uuid primary key default gen_random_uuid(),
    review_id uuid not null references business_reviews (id) on delete cascade,
    business_id uuid not null references businesses (id) on delete cascade,
    responder_id uuid references users (id) on delete set null,
    content text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    deleted_at timestamptz,
    constraint review_responses_content_length check (char_length(content) between 1 and 5000)
);
-- One live owner response per review.
create unique index review_responses_one_per_review on review_responses (review_id)
    where deleted_at is null;
create index review_responses_business_idx on review_responses (business_id);

create table review_votes (
    review_id uuid not null references business_reviews (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    helpful boolean not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (review_id, user_id)
);
create index review_votes_user_idx on review_votes (user_id);
