-- Change log triggers and readers. The live feed reads the log here as the server, then
-- re-reads each changed object under the subscriber's own role before sending anything. A
-- request role reads only the log's public columns, and only the changes its row-level
-- policy (90_policies.sql) lets it see; who made a change is not granted to it.

-- The people of a business: its owner and its managers (they see it in any status).
create function api_private.business_people(business uuid) returns uuid[]
language sql stable security definer set search_path = public, pg_temp as $$
    select array_remove(array[(select owner_id from businesses where id = business)]
                        || array(select user_id from business_managers where business_id = business
                                  order by user_id), null)
$$;

-- Who could see a row before a change: the public, and which users besides (administrators
-- see everything). It mirrors the read policies of 90_policies.sql: a review is public when
-- it is published and its business listed, a response when its review is public; authors see
-- their own reviews (and the responses to them), a business's people see their business and
-- the published reviews of it whatever its status. Nobody could see a row being inserted.
create function api_private.change_audience(tg_table text, tg_op text, before jsonb,
                                    out was_public boolean, out stakeholders uuid[])
language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
    business businesses%rowtype;
    review business_reviews%rowtype;
    business_alive boolean;
    review_visible boolean;
begin
    was_public := false;
    stakeholders := '{}';
    if tg_op = 'INSERT' or before ->> 'deleted_at' is not null then
        return;
    end if;
    case tg_table
        when 'businesses' then
            was_public := before ->> 'status' = 'active';
            stakeholders := api_private.business_people((before ->> 'id')::uuid)
                            || array_remove(array[(before ->> 'owner_id')::uuid], null);
        when 'business_reviews' then
            select * into business from businesses where id = (before ->> 'business_id')::uuid;
            business_alive := found and business.deleted_at is null;
            was_public := before ->> 'status' = 'published' and business_alive and business.status = 'active';
            stakeholders := array[(before ->> 'author_id')::uuid];
            if before ->> 'status' = 'published' and business_alive then
                stakeholders := stakeholders || api_private.business_people(business.id);
            end if;
        when 'review_responses' then
            select * into review from business_reviews where id = (before ->> 'review_id')::uuid;
            if not found or review.deleted_at is not null then
                return;
            end if;
            select * into business from businesses where id = review.business_id;
            business_alive := found and business.deleted_at is null;
            review_visible := review.status = 'published' and business_alive;
            was_public := review_visible and business.status = 'active';
            stakeholders := array[review.author_id];
            if review_visible then
                stakeholders := stakeholders || api_private.business_people(business.id);
            end if;
        else
            was_public := coalesce((before ->> 'active')::boolean, false);
    end case;
    stakeholders := array(select distinct s from unnest(stakeholders) s where s is not null order by s);
end
$$;

-- Record one change (security definer: request roles cannot write the log). Its position
-- comes at commit, from api_private.sequence_changes. Who could see the row before the change is
-- recorded with it: a subscriber who could not gets no tombstone, one who could does.
create function api_private.record_change() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    row_now jsonb := to_jsonb(coalesce(new, old)) - api_private.derived_columns();
    row_before jsonb := case when tg_op <> 'INSERT' then to_jsonb(old) - api_private.derived_columns() end;
    topic text;
    entity text;
    business uuid;
    audience record;
begin
    if current_setting('gql.bulk_load', true) = 'on' and not api_private.in_request() then
        return null;  -- a maintenance bulk load (seeding) is not a change anyone subscribed to
    end if;
    if tg_op = 'UPDATE' and (row_now - 'updated_at') = (row_before - 'updated_at') then
        return null;  -- nothing a reader could notice
    end if;
    case tg_table_name
        when 'businesses' then
            topic := 'business'; entity := 'Business'; business := (row_now ->> 'id')::uuid;
        when 'business_reviews' then
            topic := 'review'; entity := 'Review'; business := (row_now ->> 'business_id')::uuid;
        when 'review_responses' then
            topic := 'review'; entity := 'ReviewResponse'; business := (row_now ->> 'business_id')::uuid;
        else
            topic := 'category'; entity := 'Category';
    end case;
    audience := api_private.change_audience(tg_table_name, tg_op, row_before);
    insert into change_log (topic, entity, entity_id, business_id, op, actor_id, client_id,
                            was_public, stakeholders)
    values (topic, entity, (row_now ->> 'id')::uuid, business, tg_op, api.current_user_id(),
            nullif(current_setting('gql.client_id', true), ''), audience.was_public,
            audience.stakeholders);
    return null;
end
$$;

-- At commit: number this transaction's changes in order, under a lock held until the commit
-- is complete, and announce each position (NOTIFY, delivered after commit; ids only).
create function api_private.sequence_changes() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    entry record;
    position bigint;
begin
    perform pg_advisory_xact_lock(7291046114);
    for entry in select entry_id from change_log
                  where txid = pg_current_xact_id() and seq is null order by entry_id loop
        position := nextval('change_log_seq_seq');
        update change_log set seq = position where entry_id = entry.entry_id;
        perform pg_notify('gql_changes', position::text);
    end loop;
    return null;
end
$$;

create constraint trigger change_log_sequence after insert on change_log
    deferrable initially deferred
    for each row execute function api_private.sequence_changes();

create trigger businesses_record_change after insert or update or delete on businesses
    for each row execute function api_private.record_change();
create trigger business_reviews_record_change after insert or update or delete on business_reviews
    for each row execute function api_private.record_change();
create trigger review_responses_record_change after insert or update or delete on review_responses
    for each row execute function api_private.record_change();
create trigger categories_record_change after insert or update or delete on categories
    for each row execute function api_private.record_change();

-- Changes after position `after`, in order; at most `page_size`, none beyond `through`.
create function api_private.changes_after(after bigint, page_size integer, through bigint default null)
returns setof change_log
language sql stable security definer set search_path = public, pg_temp as $$
    select c.* from change_log c
     where c.seq > after and (through is null or c.seq <= through)
     order by c.seq
     limit page_size
$$;

-- The newest position (the pruned horizon when the log is empty).
create function api_private.change_log_position() returns bigint
language sql stable security definer set search_path = public, pg_temp as $$
    select coalesce((select max(seq) from change_log),
                    (select pruned_through from change_log_horizon))
$$;

-- Is a cursor still covered by the log? False once changes after it were pruned.
create function api_private.change_cursor_retained(after bigint) returns boolean
language sql stable security definer set search_path = public, pg_temp as $$
    select after >= (select pruned_through from change_log_horizon)
$$;

-- Drop changes older than `keep`; returns how many went.
create function api_private.prune_change_log(keep interval) returns bigint
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    through bigint;
    removed bigint;
begin
    select max(seq) into through from change_log where at < now() - keep;
    if through is null then
        return 0;
    end if;
    delete from change_log where seq <= through;
    get diagnostics removed = row_count;
    update change_log_horizon set pruned_through = greatest(pruned_through, through);
    return removed;
end
$$;

-- Is the object of a change visible to the caller now (read as the sync feed reads it:
-- gql/realtime/feed.load_changed)? The change log's read policy asks it, and a compiled
-- event's `tombstone` is its negation.
create function api.change_object_visible(entity text, entity_id uuid) returns boolean
language sql stable as $$
    select case entity
               when 'Business' then exists (select from api.businesses_by_id(array[entity_id]))
               when 'Review' then exists (select from api.reviews_by_id(array[entity_id]))
               when 'ReviewResponse' then exists (select from api.responses_by_id(array[entity_id]))
               else exists (select from api.categories_by_id(array[entity_id]))
           end
$$;

-- For a catch-up page read as the request's role (Query.changes, compiled): the positions
-- after `after` (from the oldest retained without one), in order, at most `page_size`,
-- visible or not: only numbers, since a page ends at a position whether or not its change
-- is the caller's to see. A cursor older than the retained log is refused.
create function api.change_positions(after bigint, page_size integer) returns setof bigint
language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
    if after is not null and not api_private.change_cursor_retained(after) then
        perform api.raise_user_error('GQ400', 'after', 'the cursor is older than the retained change log');
    end if;
    return query select c.seq from change_log c where c.seq > coalesce(after, 0) order by c.seq
                 limit page_size;
end
$$;

-- The clientId of a change the caller made (its device skips its own echo); null for a
-- change made by anyone else.
create function api.own_change_client_id(change_seq bigint) returns text
language sql stable security definer set search_path = public, pg_temp as $$
    select c.client_id from change_log c where c.seq = change_seq and c.actor_id = api.current_user_id()
$$;
