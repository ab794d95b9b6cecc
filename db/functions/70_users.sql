-- Public profiles: what anyone may know about a user (never the e-mail or password hash).

create function api.user_profiles(ids uuid[])
returns table (id uuid, display_name text, avatar_url text, created_at timestamptz)
language sql stable as $$
    select u.id, u.display_name, u.avatar_url, u.created_at
      from users u
     where u.id = any(ids) and u.deleted_at is null
$$;
