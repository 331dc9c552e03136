-- Rows repeating an earlier row of the file, first row in file order wins.
-- duplicate_row: the same eight values (Login ID, Course Name and Status case-folded);
-- duplicate_open_enrollment: a further open row for the same user and course.
-- same_values is false for rows whose eight values no other row repeats (the engine knows it
-- from a hash of them): each is the first of its own group, with no window to compute.
with exact as (
    select
        "row",
        user_id,
        course_id,
        status,
        min("row") over (
            partition by lower(login_id), lower(course_name), created_date, started_date,
                completed_date, score, lower(status), access_expires_date
        ) as first_row
    from candidate_rows
    where same_values
    union all
    select "row", user_id, course_id, status, "row" as first_row
    from candidate_rows
    where not same_values
),
open_rows as (
    select
        "row",
        min("row") over (partition by user_id, course_id) as first_row
    from exact
    where "row" = first_row and status in ('Not Started', 'In Progress')
)
select "row", 'duplicate_row' as rule, first_row from exact where "row" > first_row
union all
select "row", 'duplicate_open_enrollment' as rule, first_row from open_rows where "row" > first_row
