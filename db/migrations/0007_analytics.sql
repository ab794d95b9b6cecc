-- Analytics: raw view and click events (append-only, BRIN on time for tens of millions of
-- rows), and daily per-business rollups kept up to date as each event is recorded, so a
-- 90-day report reads about 90 rows per business instead of the raw events.

create table business_view_events (
    id bigint generated always as identity primary key,
    business_id uuid not null references businesses (id) on delete cascade,
    visitor_id text not null,
    referrer text,
    time_on_page_seconds integer,
    bounced boolean not null default false,
    client_event_id text,
    occurred_at timestamptz not null default now(),
    constraint business_view_events_visitor_id_length check (char_length(visitor_id) between 1 and 100),
    constraint business_view_events_referrer_length check (char_length(referrer) <= 500),
    constraint business_view_events_time_on_page_seconds_range check (time_on_page_seconds between 0 and 86400),
    constraint business_view_events_client_event_id_length check (char_length(client_event_id) between 1 and 200)
);
create index business_view_events_time_idx on business_view_events using brin (occurred_at);
create unique index business_view_events_once on business_view_events (business_id, client_event_id)
    where client_event_id is not null;
create index business_view_events_visitor_idx on business_view_events (visitor_id, occurred_at);

create table business_click_events (
    id bigint generated always as identity primary key,
    business_id uuid not null references businesses (id) on delete cascade,
    visitor_id text not null,
    kind text not null,
    client_event_id text,
    occurred_at timestamptz not null default now(),
    constraint business_click_events_visitor_id_length check (char_length(visitor_id) between 1 and 100),
    constraint business_click_events_kind_known check (kind in ('call', 'website', 'directions', 'share', 'save')),
    constraint business_click_events_client_event_id_length check (char_length(client_event_id) between 1 and 200)
);
create index business_click_events_time_idx on business_click_events using brin (occurred_at);
create unique index business_click_events_once on business_click_events (business_id, client_event_id)
    where client_event_id is not null;
create index business_click_events_visitor_idx on business_click_events (visitor_id, occurred_at);

-- One row per business and day (UTC).
create table business_daily_stats (
    business_id uuid not null references businesses (id) on delete cascade,
    day date not null,
    views integer not null default 0,
    unique_visitors integer not null default 0,
    calls integer not null default 0,
    website_clicks integer not null default 0,
    directions integer not null default 0,
    shares integer not null default 0,
    saves integer not null default 0,
    time_on_page_total bigint not null default 0,
    time_on_page_count integer not null default 0,
    bounces integer not null default 0,
    primary key (business_id, day)
);
create table business_daily_visitors (
    business_id uuid not null references businesses (id) on delete cascade,
    day date not null,
    visitor_id text not null,
    primary key (business_id, day, visitor_id)
);
create table business_daily_referrers (
    business_id uuid not null references businesses (id) on delete cascade,
    day date not null,
    referrer text not null,
    views integer not null default 0,
    primary key (business_id, day, referrer)
);

alter table business_view_events enable row level security;
alter table business_click_events enable row level security;
alter table business_daily_stats enable row level security;
alter table business_daily_visitors enable row level security;
alter table business_daily_referrers enable row level security;
