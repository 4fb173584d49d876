CREATE INDEX `resources_task_phase` ON `resources` (json_extract(`status`, '$.phase')) WHERE `kind` = 'Task';
