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
-- order, numbered from 1 without gaps; messages keyed by their id), then leave the status, which
-- counts what moved in record_counts. Entries that are not objects were never valid records.
INSERT INTO `task_records` (`field`, `task_uid`, `seq`, `key`, `body`)
SELECT `field`, `uid`, row_number() OVER (PARTITION BY `uid`, `field` ORDER BY `idx`), `k`, `value` FROM (
  SELECT f.`field` AS `field`, r.`uid` AS `uid`, j.`key` AS `idx`, j.`value` AS `value`,
    CASE WHEN f.`field` = 'messages' THEN coalesce(json_extract(j.`value`, '$.message_id'), '') ELSE '' END AS `k`
  FROM `resources` r
  JOIN (SELECT 'messages' AS `field` UNION ALL SELECT 'trace' UNION ALL SELECT 'history' UNION ALL SELECT 'message_idempotency') f
  JOIN json_each(r.`status`, '$.' || f.`field`) j
  WHERE r.`kind` = 'Task' AND json_type(r.`status`, '$.' || f.`field`) = 'array' AND j.`type` = 'object'
);
--> statement-breakpoint
UPDATE `resources` SET `status` = json_remove(
  json_set(`status`, '$.record_counts', json_object(
    'messages', (SELECT count(*) FROM `task_records` t WHERE t.`field` = 'messages' AND t.`task_uid` = `resources`.`uid`),
    'trace', (SELECT count(*) FROM `task_records` t WHERE t.`field` = 'trace' AND t.`task_uid` = `resources`.`uid`),
    'history', (SELECT count(*) FROM `task_records` t WHERE t.`field` = 'history' AND t.`task_uid` = `resources`.`uid`),
    'message_idempotency', (SELECT count(*) FROM `task_records` t WHERE t.`field` = 'message_idempotency' AND t.`task_uid` = `resources`.`uid`))),
  '$.messages', '$.trace', '$.history', '$.message_idempotency') WHERE `kind` = 'Task';
