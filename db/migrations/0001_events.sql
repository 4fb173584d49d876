CREATE TABLE `events` (
	`id` integer PRIMARY KEY NOT NULL,
	`timestamp` text NOT NULL,
	`source` text NOT NULL,
	`type` text NOT NULL,
	`kind` text DEFAULT '' NOT NULL,
	`name` text DEFAULT '' NOT NULL,
	`namespace` text DEFAULT '' NOT NULL,
	`action` text DEFAULT '' NOT NULL,
	`message` text DEFAULT '' NOT NULL,
	`data` text
);
