-- Licenses and ILT places per limited course that a run's rows go to: how many the rows need
-- (every migrated row, live or archived, uses one) and how many the portal has for them. Rows of
-- the run itself are not counted as used, so that an applied run's page shows what it needed
-- against what there was for it, like its check did.
with needed as (
    select course_id, count(*) as needed
    from (
        select course_id from read_parquet($live)
        union all
        select course_id from read_parquet($archived)
    )
    group by course_id
),
used as (
    select course_id, count(*) as used
    from (
        select course_id, run_id from enrollments
        union all
        select course_id, run_id from archived_enrollments
    )
    where run_id is distinct from $run_id
    group by course_id
),
limits as (
    select course_id, name, 'licenses' as resource, license_seats as total
    from courses where license_seats is not null
    union all
    select course_id, name, 'ILT places', ilt_capacity
    from courses where kind = 'ilt' and ilt_capacity is not null
)
select
    l.name as course,
    l.resource,
    l.total,
    coalesce(u.used, 0) as used_by_others,
    n.needed,
    greatest(l.total - coalesce(u.used, 0), 0) as available,
    greatest(n.needed - (l.total - coalesce(u.used, 0)), 0) as short_by
from needed n
join limits l using (course_id)
left join used u using (course_id)
order by short_by desc, l.name, l.resource
