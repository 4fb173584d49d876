CREATE TABLE `webhook_dedupe` (
	`endpoint_id` text NOT NULL,
	`event_id` text NOT NULL,
	`task_namespace` text NOT NULL,
	`task_name` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`endpoint_id`, `event_id`)
);
--> statement-breakpoint
CREATE INDEX `webhook_dedupe_expires` ON `webhook_dedupe` (`expires_at`);--> statement-breakpoint
CREATE INDEX `resources_webhook_endpoint` ON `resources` (json_extract(`status`, '$.endpointID')) WHERE `kind` = 'TaskWebhook';