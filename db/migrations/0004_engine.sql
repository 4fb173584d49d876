CREATE TABLE `object_logs` (
	`id` integer PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`namespace` text NOT NULL,
	`name` text NOT NULL,
	`line` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `object_logs_owner` ON `object_logs` (`kind`,`namespace`,`name`,`id`);--> statement-breakpoint
CREATE TABLE `task_journal` (
	`task_uid` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`task_uid`, `key`)
);
