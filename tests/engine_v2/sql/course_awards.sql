-- What a live completion of each course awards (RULES.md §5).
select course_id, certificate, credits, badge from courses
