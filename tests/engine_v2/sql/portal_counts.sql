-- Whether the portal is loaded: its users and its courses, counted.
select (select count(*) from users) as users, (select count(*) from courses) as courses
