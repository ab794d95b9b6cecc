-- Opening hours in the business's own time zone, with overnight intervals and special days.

-- The intervals that apply on a local date: a special-hours entry replaces the weekday's.
create function api.intervals_on(hours jsonb, special_hours jsonb, local_date date)
returns jsonb
language sql immutable parallel safe as $$
    select coalesce(
        special_hours -> to_char(local_date, 'YYYY-MM-DD'),
        hours -> lower(to_char(local_date, 'Dy')),
        '[]'::jsonb)
$$;

-- Open at instant `at`? An interval [open, close) whose close is not after its open runs
-- past midnight into the next day; "00:00"-"00:00" is open around the clock.
create function api.is_open_at(hours jsonb, special_hours jsonb, tz text, at timestamptz)
returns boolean
language sql stable parallel safe as $$
    with local as (
        select (at at time zone tz)::date as day, (at at time zone tz)::time as t
    )
    select exists (
        select 1
          from local, jsonb_array_elements(api.intervals_on(hours, special_hours, local.day)) iv
         where local.t >= (iv ->> 0)::time
           and (local.t < (iv ->> 1)::time or (iv ->> 1)::time <= (iv ->> 0)::time)
    ) or exists (
        select 1
          from local, jsonb_array_elements(api.intervals_on(hours, special_hours, local.day - 1)) iv
         where (iv ->> 1)::time <= (iv ->> 0)::time
           and local.t < (iv ->> 1)::time
    )
$$;

create function api.is_open_now(b businesses) returns boolean
language sql stable parallel safe as $$
    select api.is_open_at(b.hours, b.special_hours, b.timezone, now())
$$;
