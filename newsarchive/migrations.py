"""The archive's schema: one migration per version, SQL text only.

newsarchive.archive applies them (``Archive.migrate``, one transaction per version) and
stays the only module that runs SQL on the archive; they live here so that the module
holding the archive's queries does not also hold its history.
"""

_SCHEMA_1 = """
        CREATE TABLE sources (
            name TEXT PRIMARY KEY,
            base_url TEXT,
            language TEXT,
            kind TEXT,
            config TEXT,
            added TEXT
        );
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            source TEXT,
            title TEXT NOT NULL,
            author TEXT,
            published TEXT,
            modified TEXT,
            -- YYYY-MM of published, a plain column so Datasette can facet on it
            month TEXT,
            language TEXT,
            text TEXT NOT NULL,
            description TEXT,
            categories TEXT NOT NULL DEFAULT '[]',
            tags TEXT NOT NULL DEFAULT '[]',
            image TEXT,
            word_count INTEGER,
            content_hash TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_fetched TEXT NOT NULL
        );
        CREATE INDEX articles_source ON articles(source);
        CREATE INDEX articles_published ON articles(published);
        CREATE INDEX articles_month ON articles(month);
        CREATE INDEX articles_content_hash ON articles(content_hash);
        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL,
            url TEXT NOT NULL,
            title TEXT,
            author TEXT,
            published TEXT,
            modified TEXT,
            text TEXT,
            content_hash TEXT,
            fetched TEXT,
            replaced TEXT NOT NULL
        );
        CREATE INDEX revisions_article ON revisions(article_id);
        CREATE TABLE crawl_runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            source TEXT,
            command TEXT,
            started TEXT NOT NULL,
            finished TEXT,
            status TEXT NOT NULL,
            pages INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            dropped INTEGER NOT NULL DEFAULT 0,
            dropped_reasons TEXT NOT NULL DEFAULT '{}',
            errors TEXT NOT NULL DEFAULT '[]'
        );
        CREATE INDEX crawl_runs_source ON crawl_runs(source, started);
        -- The index holds search keys (newsarchive.arabic), not the stored text, so it
        -- keeps its own copy of them; rowid = articles.id. Datasette is told about it
        -- in the plugin's metadata (fts_table/fts_pk), since it cannot guess the link.
        CREATE VIRTUAL TABLE articles_fts USING fts5(
            title, text, tokenize = 'unicode61 remove_diacritics 0'
        );
        -- Deleting an article from any tool keeps the index in step; inserts and
        -- updates need the Python key function and go through Archive.upsert_articles.
        CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
            DELETE FROM articles_fts WHERE rowid = old.id;
        END;
"""


# Version 2: the wire agency of an article; one row per fetched page (the decision, its
# reason and signals, what became of it); up to 3 example URLs per dropped reason per run.
_SCHEMA_2 = """
        ALTER TABLE articles ADD COLUMN agency TEXT;
        CREATE INDEX articles_agency ON articles(agency);
        ALTER TABLE crawl_runs ADD COLUMN dropped_examples TEXT NOT NULL DEFAULT '{}';
        CREATE TABLE pages (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES crawl_runs(id) ON DELETE CASCADE,
            url TEXT NOT NULL,
            status INTEGER,
            found_via TEXT,
            decision TEXT NOT NULL CHECK (decision IN ('article', 'not-article', 'error')),
            reason TEXT,
            signals TEXT NOT NULL DEFAULT '{}',
            outcome TEXT,
            fetched TEXT NOT NULL,
            article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL
        );
        CREATE INDEX pages_run_reason ON pages(run_id, reason);
        CREATE INDEX pages_url ON pages(url);
        CREATE INDEX pages_fetched ON pages(fetched);
"""

# Version 3: the process behind a run (pid, host, and when that process started, so a
# reused pid is not mistaken for it): a "running" run whose process is gone (kill -9, a
# crash) is then marked "killed" by the next command, with the counts it committed.
# crawl_runs.status is one of: running; ok, empty (no article), failed; interrupted
# (stopped by SIGINT or SIGTERM, resumable); killed. Counts are kept in every case.
_SCHEMA_3 = """
        ALTER TABLE crawl_runs ADD COLUMN pid INTEGER;
        ALTER TABLE crawl_runs ADD COLUMN host TEXT;
        ALTER TABLE crawl_runs ADD COLUMN pid_start TEXT;
        CREATE INDEX crawl_runs_status ON crawl_runs(status);
"""


# Version 4 (issue 11): the change log a derived search index replays to keep in step
# (newsarchive.searchindex): triggers, so every writer of articles is logged in the same
# transaction as its change; and saved searches, each followed as an Atom feed.
_SCHEMA_4 = """
        CREATE TABLE search_changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            article_id INTEGER NOT NULL
        );
        CREATE TRIGGER search_changes_insert AFTER INSERT ON articles BEGIN
            INSERT INTO search_changes (article_id) VALUES (new.id);
        END;
        CREATE TRIGGER search_changes_update AFTER UPDATE ON articles BEGIN
            INSERT INTO search_changes (article_id) VALUES (new.id);
        END;
        CREATE TRIGGER search_changes_delete AFTER DELETE ON articles BEGIN
            INSERT INTO search_changes (article_id) VALUES (old.id);
        END;
        CREATE TABLE saved_searches (
            name TEXT PRIMARY KEY,
            query TEXT NOT NULL,
            source TEXT,
            since TEXT,
            until TEXT,
            category TEXT,
            created TEXT NOT NULL
        );
"""

# Version 5 (issue 8): where each fetched page's response is kept as WARC, and for an
# article the capture its current text came from (newsarchive.capture, items.Capture).
_SCHEMA_5 = """
        ALTER TABLE pages ADD COLUMN warc_file TEXT;
        ALTER TABLE pages ADD COLUMN warc_offset INTEGER;
        ALTER TABLE pages ADD COLUMN warc_length INTEGER;
        ALTER TABLE pages ADD COLUMN warc_digest TEXT;
        ALTER TABLE articles ADD COLUMN warc_file TEXT;
        ALTER TABLE articles ADD COLUMN warc_offset INTEGER;
        ALTER TABLE articles ADD COLUMN warc_length INTEGER;
        ALTER TABLE articles ADD COLUMN warc_digest TEXT;
"""

# Version 6 (issue 8): why a revision was made ("re-fetched", "re-ingested",
# "re-extracted"; NULL for those made before), and why `newsarchive reextract` judged an
# archived article no longer an article (it is flagged, never deleted; cleared when a
# later re-extraction finds it one again).
_SCHEMA_6 = """
        ALTER TABLE revisions ADD COLUMN reason TEXT;
        ALTER TABLE articles ADD COLUMN flagged TEXT;
"""

# Version 7 (issue 8): one story across its copies (newsarchive.stories). Each article's story id;
# the LSH bands of each grouped article (a key per band, looked up by key) and its
# signature row (what to delete when its text changes, and the story it was in); the
# change-log seq the stories are current with (NULL: never grouped) and the next id.
_SCHEMA_7 = """
        ALTER TABLE articles ADD COLUMN story_id INTEGER;
        CREATE INDEX articles_story ON articles(story_id);
        CREATE TABLE story_bands (
            key INTEGER NOT NULL,
            article_id INTEGER NOT NULL,
            PRIMARY KEY (key, article_id)
        ) WITHOUT ROWID;
        CREATE TABLE story_signatures (
            article_id INTEGER PRIMARY KEY,
            content_hash TEXT NOT NULL,
            bands BLOB NOT NULL,
            story_id INTEGER
        );
        CREATE TABLE story_state (seq INTEGER, next_story INTEGER NOT NULL, format TEXT);
        INSERT INTO story_state (seq, next_story, format) VALUES (NULL, 1, NULL);
"""

# Each entry is the SQL that upgrades the schema by one version (PRAGMA user_version).
# Append, never edit: archives in the field have run the earlier ones.
MIGRATIONS: list[str] = [
    _SCHEMA_1,
    _SCHEMA_2,
    _SCHEMA_3,
    _SCHEMA_4,
    _SCHEMA_5,
    _SCHEMA_6,
    _SCHEMA_7,
]
