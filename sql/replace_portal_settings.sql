-- A settings file replaces the portal's settings: a setting it leaves out is not known.
delete from portal_settings;

insert into portal_settings (setting, value)
select lower(setting), value from staged_settings;
