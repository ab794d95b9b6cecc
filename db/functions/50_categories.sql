-- Reading the category tree.

create function api.categories_by_id(ids uuid[]) returns setof categories
language sql stable as $$
    select * from categories where id = any(ids)
$$;

create function api.categories_by_slug(slugs text[]) returns setof categories
language sql stable as $$
    select * from categories where slug = any(slugs)
$$;

create function api.category_roots() returns setof categories
language sql stable as $$
    select * from categories where parent_id is null and active order by sort_order, name, id
$$;

-- Children of several parents at once, in display order.
create function api.category_children(parent_ids uuid[]) returns setof categories
language sql stable as $$
    select * from categories
     where parent_id = any(parent_ids) and active
     order by parent_id, sort_order, name, id
$$;
