-- The file as a whole against the portal's options: its archived rows, and what the portal says
-- of Training History and gamification (null: not known) and of its learning paths (how many).
select
    (select count(*) from migrated_rows where store = 'archived') as archived,
    (select value from portal_settings where setting = 'training_history') as training_history,
    (select value from portal_settings where setting = 'gamification') as gamification,
    (select count(*) from learning_paths) as learning_paths
