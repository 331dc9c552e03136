-- Per course receiving rows: licenses and ILT places still free, what the rows bring (archived
-- completions, live completions that award), and the settings the course-level rules read.
with used as (
    select course_id, count(*) as used from (
        select course_id from enrollments
        union all
        select course_id from archived_enrollments
    )
    group by course_id
),
incoming as (
    select course_id, count(*) as incoming,
        count(*) filter (where store = 'archived') as archived,
        count(*) filter (where store = 'live' and status in ('Completed', 'Passed')) as live_awarded,
        count(*) filter (where awards_certificate) as certificates,
        count(*) filter (
            where awards_certificate
              and completed + to_days(cast(c_days as integer)) < $import_date
        ) as certificates_expired
    from (
        select m.course_id, m.store, m.status, m.certificate is not null as awards_certificate,
            cast(m.completed_at as date) as completed, c.certificate_expires_after_days as c_days
        from migrated_rows m join courses c using (course_id)
    )
    group by course_id
)
select
    c.course_id,
    c.name,
    c.kind,
    i.incoming,
    i.certificates,
    i.certificates_expired,
    c.license_seats,
    c.license_seats - coalesce(u.used, 0) as free_licenses,
    case when c.kind = 'ilt' then c.ilt_capacity end as ilt_capacity,
    case when c.kind = 'ilt' then c.ilt_capacity - coalesce(u.used, 0) end as free_places,
    c.certificate_expires_after_days,
    c.enrollment_reminders,
    c.due_date_reminders,
    c.overdue_reminders,
    c.ilt_reminders,
    i.archived,
    i.live_awarded,
    c.badge,
    c.certificate as certificate_name,
    c.credits as course_credits,
    c.recertification,
    c.recertification_period_days,
    -- the two-year window, in days: completions before it are archived (RULES.md §4)
    datediff('day', cast($cutoff as date), cast($import_date as date)) as window_days,
    (select value from portal_settings where setting = 'gamification') as gamification
from incoming i
join courses c using (course_id)
left join used u using (course_id)
order by c.name
