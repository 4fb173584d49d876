CREATE TABLE `task_records` (
	`field` text NOT NULL,
	`task_uid` text NOT NULL,
	`seq` integer NOT NULL,
	`key` text DEFAULT '' NOT NULL,
	`body` text NOT NULL,
	PRIMARY KEY(`field`, `task_uid`, `seq`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `task_records_key` ON `task_records` (`field`,`task_uid`,`key`) WHERE "task_records"."key" <> '';--> statement-breakpoint
-- Written by hand: the records of existing tasks move out of their status into task_records (in
-- order, messages keyed by their id), then leave the status.
INSERT INTO `task_records` (`field`, `task_uid`, `seq`, `key`, `body`)
SELECT f.`field`, r.`uid`, j.`key` + 1, CASE WHEN f.`field` = 'messages' THEN coalesce(json_extract(j.`value`, '$.message_id'), '') ELSE '' END, j.`value`
FROM `resources` r
JOIN (SELECT 'messages' AS `field` UNION ALL SELECT 'trace' UNION ALL SELECT 'history' UNION ALL SELECT 'message_idempotency') f
JOIN json_each(r.`status`, '$.' || f.`field`) j
WHERE r.`kind` = 'Task' AND json_type(r.`status`, '$.' || f.`field`) = 'array' AND j.`type` = 'object';
--> statement-breakpoint
UPDATE `resources` SET `status` = json_remove(
  json_set(`status`, '$.record_counts', json_object(
    'messages', coalesce(json_array_length(`status`, '$.messages'), 0),
    'trace', coalesce(json_array_length(`status`, '$.trace'), 0),
    'history', coalesce(json_array_length(`status`, '$.history'), 0),
    'message_idempotency', coalesce(json_array_length(`status`, '$.message_idempotency'), 0))),
  '$.messages', '$.trace', '$.history', '$.message_idempotency') WHERE `kind` = 'Task';
