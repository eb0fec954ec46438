package models

// The baseline schema, frozen as it stood when versioned migrations began: what
// GORM's CreateTable made from tables.go then, so a database this server created
// before and a fresh one end up alike. Never edit these: a later change to the
// schema is a new numbered migration (see migrate.go).

type baselineTable struct {
	name     string
	postgres string
	sqlite   string
}

var baselineTables = []baselineTable{
	{"users",
		`CREATE TABLE users (id bigserial PRIMARY KEY, username varchar(50) NOT NULL, email varchar(120) NOT NULL,
			password_hash varchar(255) NOT NULL, full_name varchar(100), created_at timestamptz,
			token_generation bigint NOT NULL DEFAULT 0)`,
		"CREATE TABLE `users` (`id` integer PRIMARY KEY AUTOINCREMENT,`username` text NOT NULL,`email` text NOT NULL," +
			"`password_hash` text NOT NULL,`full_name` text,`created_at` datetime,`token_generation` integer NOT NULL DEFAULT 0)"},
	{"rooms",
		`CREATE TABLE rooms (id bigserial PRIMARY KEY, name varchar(150) NOT NULL, description text,
			is_private boolean NOT NULL DEFAULT false, created_by bigint NOT NULL, created_at timestamptz, dm_key varchar(64),
			CONSTRAINT fk_rooms_creator FOREIGN KEY (created_by) REFERENCES users(id) ON DELETE CASCADE)`,
		"CREATE TABLE `rooms` (`id` integer PRIMARY KEY AUTOINCREMENT,`name` text NOT NULL,`description` text," +
			"`is_private` numeric NOT NULL DEFAULT false,`created_by` integer NOT NULL,`created_at` datetime,`dm_key` text," +
			"CONSTRAINT `fk_rooms_creator` FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON DELETE CASCADE)"},
	{"room_members",
		`CREATE TABLE room_members (user_id bigint, room_id bigint, PRIMARY KEY (user_id, room_id),
			CONSTRAINT fk_room_members_user FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
			CONSTRAINT fk_room_members_room FOREIGN KEY (room_id) REFERENCES rooms(id) ON DELETE CASCADE)`,
		"CREATE TABLE `room_members` (`user_id` integer,`room_id` integer,PRIMARY KEY (`user_id`,`room_id`)," +
			"CONSTRAINT `fk_room_members_user` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE CASCADE," +
			"CONSTRAINT `fk_room_members_room` FOREIGN KEY (`room_id`) REFERENCES `rooms`(`id`) ON DELETE CASCADE)"},
	{"messages",
		`CREATE TABLE messages (id bigserial PRIMARY KEY, content text NOT NULL, user_id bigint NOT NULL, room_id bigint NOT NULL,
			file_url varchar(512), file_id bigint, created_at timestamptz,
			CONSTRAINT fk_messages_user FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
			CONSTRAINT fk_messages_room FOREIGN KEY (room_id) REFERENCES rooms(id) ON DELETE CASCADE)`,
		"CREATE TABLE `messages` (`id` integer PRIMARY KEY AUTOINCREMENT,`content` text NOT NULL,`user_id` integer NOT NULL," +
			"`room_id` integer NOT NULL,`file_url` text,`file_id` integer,`created_at` datetime," +
			"CONSTRAINT `fk_messages_user` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE CASCADE," +
			"CONSTRAINT `fk_messages_room` FOREIGN KEY (`room_id`) REFERENCES `rooms`(`id`) ON DELETE CASCADE)"},
	{"file_uploads",
		`CREATE TABLE file_uploads (id bigserial PRIMARY KEY, filename varchar(255) NOT NULL, original_filename varchar(255) NOT NULL,
			file_size bigint NOT NULL, content_type varchar(100), file_url varchar(512), user_id bigint NOT NULL, room_id bigint,
			created_at timestamptz,
			CONSTRAINT fk_file_uploads_user FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE,
			CONSTRAINT fk_file_uploads_room FOREIGN KEY (room_id) REFERENCES rooms(id) ON DELETE SET NULL)`,
		"CREATE TABLE `file_uploads` (`id` integer PRIMARY KEY AUTOINCREMENT,`filename` text NOT NULL,`original_filename` text NOT NULL," +
			"`file_size` integer NOT NULL,`content_type` text,`file_url` text,`user_id` integer NOT NULL,`room_id` integer,`created_at` datetime," +
			"CONSTRAINT `fk_file_uploads_user` FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON DELETE CASCADE," +
			"CONSTRAINT `fk_file_uploads_room` FOREIGN KEY (`room_id`) REFERENCES `rooms`(`id`) ON DELETE SET NULL)"},
	{"file_deletions",
		`CREATE TABLE file_deletions (filename varchar(255) PRIMARY KEY, created_at timestamptz)`,
		"CREATE TABLE `file_deletions` (`filename` text,`created_at` datetime,PRIMARY KEY (`filename`))"},
}

// baselineColumn is a column some generation of the schema lacks, added to a
// table that exists. Every one is nullable or defaulted, so rows already there
// stay valid; created_by is nullable here (unlike in a fresh rooms table) because
// the last Flask generation kept no creator: those rooms read as created by nobody.
type baselineColumn struct {
	table, column    string
	postgres, sqlite string
}

var baselineColumns = []baselineColumn{
	{"users", "token_generation", "bigint NOT NULL DEFAULT 0", "integer NOT NULL DEFAULT 0"},
	{"rooms", "description", "text", "text"},
	{"rooms", "is_private", "boolean NOT NULL DEFAULT false", "numeric NOT NULL DEFAULT false"},
	{"rooms", "created_by", "bigint REFERENCES users(id) ON DELETE SET NULL", "integer REFERENCES users(id) ON DELETE SET NULL"},
	{"rooms", "created_at", "timestamptz", "datetime"},
	{"rooms", "dm_key", "varchar(64)", "text"},
	{"messages", "file_url", "varchar(512)", "text"},
	{"messages", "file_id", "bigint", "integer"},
	{"messages", "created_at", "timestamptz", "datetime"},
}

// baselineIndexes are built when missing (the Flask schemas have some of them
// under these names already: users_email_key is PostgreSQL's name for its
// UNIQUE (email), ix_messages_created_at is SQLAlchemy's).
var baselineIndexes = []string{
	"CREATE UNIQUE INDEX IF NOT EXISTS users_email_key ON users (email)",
	"CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON users (username)",
	"CREATE UNIQUE INDEX IF NOT EXISTS rooms_dm_key_key ON rooms (dm_key)",
	"CREATE INDEX IF NOT EXISTS idx_rooms_created_by ON rooms (created_by)",
	"CREATE INDEX IF NOT EXISTS room_members_room_idx ON room_members (room_id)",
	"CREATE INDEX IF NOT EXISTS room_members_user_idx ON room_members (user_id)",
	"CREATE INDEX IF NOT EXISTS ix_messages_created_at ON messages (created_at)",
	"CREATE INDEX IF NOT EXISTS idx_messages_user_id ON messages (user_id)",
	"CREATE INDEX IF NOT EXISTS messages_room_id_id_idx ON messages (room_id, id)",
	"CREATE INDEX IF NOT EXISTS idx_file_uploads_room_id ON file_uploads (room_id)",
	"CREATE INDEX IF NOT EXISTS idx_file_uploads_user_id ON file_uploads (user_id)",
}
