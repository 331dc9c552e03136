-- The portal's course names, lower-cased as files are matched to them.
select lower(name) as course_key from courses
