-- Further finished live rows for the same user on a course with recertification: each one
-- becomes an enrollment of its own. Recertification does not apply to archived rows (the guide:
-- "Recertification rules do not apply to archived data").
with finished as (
    select m."row", m.user_id, m.course_id,
        min(m."row") over (partition by m.user_id, m.course_id) as first_row
    from migrated_rows m
    join courses c using (course_id)
    where c.recertification
      and m.store = 'live'
      and m.status in ('Completed', 'Passed', 'Failed')
)
select "row", first_row from finished where "row" > first_row
