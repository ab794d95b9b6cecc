-- Writing categories: administrators only.

-- input: slug, name, parent_id, description, icon, sort_order as JSON.
create function api.create_category(input jsonb, idempotency_key text) returns categories
language plpgsql volatile
    set gql.writing = 'on' as $$
declare
    earlier uuid;
    result categories;
begin
    perform api.require_admin();
    perform api.require_writer('write:business');
    earlier := api.claim_idempotency_key(idempotency_key, 'createCategory');
    if earlier is not null then
        select * into result from categories where id = earlier;
        return result;
    end if;
    insert into categories (slug, name, parent_id, description, icon, sort_order)
    select coalesce(nullif(btrim(r.slug), ''), api.slugify(r.name)), btrim(r.name), r.parent_id,
           r.description, r.icon, coalesce(r.sort_order, 0)
      from jsonb_populate_record(null::categories, input) r
    returning * into result;
    perform api.settle_idempotency_key(idempotency_key, result.id);
    return result;
end
$$;

create function api.update_category(category_id uuid, patch jsonb) returns categories
language plpgsql volatile
    set gql.writing = 'on' as $$
declare
    result categories;
begin
    perform api.require_admin();
    perform api.require_writer('write:business');
    update categories c
       set (slug, name, parent_id, description, icon, sort_order, active) =
           (select btrim(r.slug), btrim(r.name), r.parent_id, r.description, r.icon, r.sort_order, r.active
              from jsonb_populate_record(c, patch) r)
     where c.id = category_id
    returning c.* into result;
    if not found then
        perform api.raise_user_error('GQ404', 'id', 'no such category');
    end if;
    return result;
end
$$;
