CREATE TABLE `memory_entries` (
	`id` integer PRIMARY KEY NOT NULL,
	`namespace` text NOT NULL,
	`memory` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`embedding` blob,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `memory_entries_key` ON `memory_entries` (`namespace`,`memory`,`key`);--> statement-breakpoint
-- Written by hand (drizzle-kit has no virtual tables): the keyword index of memory entries, an
-- external-content FTS5 table over memory_entries(key, value) kept in step by the triggers below,
-- so an upsert or a delete changes the index in the same transaction as the row.
CREATE VIRTUAL TABLE `memory_entries_fts` USING fts5(`key`, `value`, content='memory_entries', content_rowid='id', tokenize='unicode61 remove_diacritics 2');--> statement-breakpoint
-- Document frequency per word, so searches can leave out near-universal words (see src/store/memory-entries.ts).
CREATE VIRTUAL TABLE `memory_entries_fts_vocab` USING fts5vocab(`memory_entries_fts`, 'row');--> statement-breakpoint
CREATE TRIGGER `memory_entries_fts_insert` AFTER INSERT ON `memory_entries` BEGIN
  INSERT INTO `memory_entries_fts`(rowid, `key`, `value`) VALUES (new.`id`, new.`key`, new.`value`);
END;--> statement-breakpoint
CREATE TRIGGER `memory_entries_fts_delete` AFTER DELETE ON `memory_entries` BEGIN
  INSERT INTO `memory_entries_fts`(`memory_entries_fts`, rowid, `key`, `value`) VALUES ('delete', old.`id`, old.`key`, old.`value`);
END;--> statement-breakpoint
CREATE TRIGGER `memory_entries_fts_update` AFTER UPDATE OF `key`, `value` ON `memory_entries` BEGIN
  INSERT INTO `memory_entries_fts`(`memory_entries_fts`, rowid, `key`, `value`) VALUES ('delete', old.`id`, old.`key`, old.`value`);
  INSERT INTO `memory_entries_fts`(rowid, `key`, `value`) VALUES (new.`id`, new.`key`, new.`value`);
END;
