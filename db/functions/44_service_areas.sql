-- Service areas: polygons a business serves, validated and normalised by the server
-- (shapely) before they arrive here as rings of [longitude, latitude] pairs.

create function api.polygon_from_ring(ring jsonb) returns polygon
language sql immutable parallel safe as $$
    select ('(' || string_agg(format('(%s,%s)', (p ->> 0)::double precision, (p ->> 1)::double precision),
                              ',' order by n) || ')')::polygon
      from jsonb_array_elements(ring) with ordinality as t(p, n)
$$;

-- areas: [{"exterior": ring, "holes": [ring, ...], "geojson": {...}}, ...]; replaces the
-- business's service areas (an empty list removes them).
create function api.set_service_areas(business_id uuid, areas jsonb) returns void
language plpgsql volatile
    set gql.writing = 'on' as $$
begin
    perform api.require_writer('write:business');
    perform api.check_business_editable(business_id);
    delete from business_service_areas a where a.business_id = set_service_areas.business_id;
    insert into business_service_areas (business_id, exterior, holes, bbox, geojson)
    select set_service_areas.business_id,
           api.polygon_from_ring(area -> 'exterior'),
           coalesce(array(select api.polygon_from_ring(h) from jsonb_array_elements(area -> 'holes') h), '{}'),
           box(api.polygon_from_ring(area -> 'exterior')),
           area -> 'geojson'
      from jsonb_array_elements(areas) area;
end
$$;

create function api.service_areas_of(business_ids uuid[]) returns setof business_service_areas
language sql stable as $$
    select * from business_service_areas where business_id = any(business_ids) order by id
$$;

-- For several businesses at once: does each serve the point?
create function api.businesses_serving(business_ids uuid[], lat double precision, lon double precision)
returns table (id uuid, serves boolean)
language sql stable as $$
    select b.id, api.serves_location(b, lat, lon) from businesses b where b.id = any(business_ids)
$$;
