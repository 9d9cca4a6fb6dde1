#define G_LOG_DOMAIN "ss-journal"

#include "config.h"

#include "ss-journal.h"
#include "ss-journal-private.h"

#include <glib/gstdio.h>
#include <unistd.h>
#include <sqlite3.h>

#include "ss-error.h"

#define HISTORY_MAX_ROWS 50000
#define HISTORY_MAX_AGE  (90 * 24 * 3600)

struct _SsJournal
{
  GObject     parent_instance;
  sqlite3    *db;
  GHashTable *stmts;      /* SQL text (static) → prepared statement, reused */
  guint    inserts;
  guint    commits;
  guint    crash_after;   /* SS_DEBUG_CRASH_AFTER, 0 = never */
};

G_DEFINE_FINAL_TYPE (SsJournal, ss_journal, G_TYPE_OBJECT)

static const char schema_sql[] =
  "PRAGMA synchronous=NORMAL;"
  /* A small page cache: the kernel caches the file anyway, and a long-running engine
   * stays small. */
  "PRAGMA cache_size=-256;"
  "CREATE TABLE IF NOT EXISTS scan_failures ("
  "  account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,"
  "  uid INTEGER NOT NULL, tries INTEGER NOT NULL, first_failure INTEGER NOT NULL,"
  "  last_failure INTEGER NOT NULL, reason TEXT,"
  "  PRIMARY KEY (account, folder, uidvalidity, uid));"
  "CREATE TABLE IF NOT EXISTS history ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, time INTEGER NOT NULL,"
  "  folder TEXT, uidvalidity INTEGER, uid INTEGER, message_id TEXT, sender TEXT,"
  "  subject TEXT, scanned INTEGER, score REAL, threshold REAL, rules TEXT,"
  "  verdict TEXT NOT NULL, destination TEXT, dest_uidvalidity INTEGER, dest_uid INTEGER);"
  "CREATE INDEX IF NOT EXISTS history_time ON history (account, time);"
  "CREATE TABLE IF NOT EXISTS pending ("
  "  account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,"
  "  uid INTEGER NOT NULL, step INTEGER NOT NULL, time INTEGER, message_id TEXT,"
  "  sender TEXT, subject TEXT, scanned INTEGER, score REAL, threshold REAL, rules TEXT,"
  "  verdict TEXT NOT NULL, destination TEXT NOT NULL, size INTEGER, dest_uidnext INTEGER,"
  "  dest_uidvalidity INTEGER, dest_uid INTEGER,"
  "  PRIMARY KEY (account, folder, uidvalidity, uid));"
  /* Initial training from existing mail (ss-filter-train.c): what was learned already. */
  "CREATE TABLE IF NOT EXISTS trained ("
  "  account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,"
  "  uid INTEGER NOT NULL, message_id TEXT, spam INTEGER NOT NULL, time INTEGER NOT NULL,"
  "  PRIMARY KEY (account, folder, uidvalidity, uid));"
  /* Implicit confirmation (ss-filter-confirm.c): the learner's part of each message judged,
   * until the user had the time to correct it. */
  "CREATE TABLE IF NOT EXISTS confirm ("
  "  account TEXT NOT NULL, message_id TEXT NOT NULL, spam INTEGER NOT NULL,"
  "  time INTEGER NOT NULL, head BLOB NOT NULL, PRIMARY KEY (account, message_id));"
  /* In-place mode: the highest UID looked at, per folder and UIDVALIDITY. */
  "CREATE TABLE IF NOT EXISTS watermark ("
  "  account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,"
  "  uid INTEGER NOT NULL, PRIMARY KEY (account, folder, uidvalidity));"
  /* The user's own moves (ss-journal-moves.c): the next UID per folder, and what was
   * learned from. Older state files gain these on open. */
  "CREATE TABLE IF NOT EXISTS watermarks ("
  "  account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,"
  "  uidnext INTEGER NOT NULL, PRIMARY KEY (account, folder));"
  "CREATE TABLE IF NOT EXISTS learned_moves ("
  "  account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,"
  "  uid INTEGER NOT NULL, time INTEGER NOT NULL,"
  "  PRIMARY KEY (account, folder, uidvalidity, uid));"
  "CREATE INDEX IF NOT EXISTS history_dest ON history (account, destination, dest_uid);"
  "CREATE INDEX IF NOT EXISTS history_message_id ON history (account, message_id);";

static void
ss_journal_finalize (GObject *object)
{
  SsJournal *self = (SsJournal *) object;

  g_clear_pointer (&self->stmts, g_hash_table_unref);   /* before the close */
  g_clear_pointer (&self->db, sqlite3_close);
  G_OBJECT_CLASS (ss_journal_parent_class)->finalize (object);
}

static void
ss_journal_class_init (SsJournalClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ss_journal_finalize;
}

static void
stmt_free (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static void
ss_journal_init (SsJournal *self)
{
  self->stmts = g_hash_table_new_full (NULL, NULL, NULL, stmt_free);
}

static gboolean
set_db_error (sqlite3    *db,
              const char *what,
              GError    **error)
{
  g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_JOURNAL, "State database: %s: %s",
               what, db != NULL ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

/* *busy: the file is held by another process (not corrupt: leave it alone). */
static gboolean
open_db (const char *path,
         sqlite3   **out,
         gboolean   *busy,
         GError    **error)
{
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2 (path != NULL ? path : ":memory:", &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_FULLMUTEX, NULL);

  *busy = FALSE;
  if (rc == SQLITE_OK)
    {
      sqlite3_busy_timeout (db, 5000);
      /* Turning a new file to WAL takes an exclusive lock without waiting on the busy
       * handler: a second connection opening it at that moment (two accounts starting
       * together) gets SQLITE_BUSY at once. Tried again for 5 s (a lock held by another
       * process makes the first try wait that long already). */
      gint64 until = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

      while ((rc = sqlite3_exec (db, "PRAGMA journal_mode=WAL;", NULL, NULL, NULL)) != SQLITE_OK
             && (rc & 0xff) == SQLITE_BUSY && g_get_monotonic_time () < until)
        g_usleep (50 * 1000);
    }
  if (rc == SQLITE_OK)
    rc = sqlite3_exec (db, schema_sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      *busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
      if (*busy)
        g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_JOURNAL,
                     "State database %s is locked by another process (is SpamSieve "
                     "already running?)", path != NULL ? path : "memory");
      else
        set_db_error (db, path != NULL ? path : "memory", error);
      sqlite3_close (db);
      return FALSE;
    }
  *out = db;
  return TRUE;
}

SsJournal *
ss_journal_open (const char  *path,
                 GError     **error)
{
  g_autoptr(SsJournal) self = g_object_new (SS_TYPE_JOURNAL, NULL);
  g_autoptr(GError) local_error = NULL;
  gboolean busy;

  if (path != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (path);
      g_mkdir_with_parents (dir, 0700);
    }
  if (!open_db (path, &self->db, &busy, &local_error))
    {
      g_autofree char *aside = NULL;

      if (busy || path == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      /* Unreadable or corrupt: keep it for inspection, start afresh. */
      aside = g_strdup_printf ("%s.corrupt-%" G_GINT64_FORMAT, path,
                               g_get_real_time () / G_USEC_PER_SEC);
      g_message ("%s; moved to %s and started a new one", local_error->message, aside);
      if (g_rename (path, aside) != 0 || !open_db (path, &self->db, &busy, error))
        return NULL;
    }
  if (g_getenv ("SS_DEBUG_CRASH_AFTER") != NULL)
    self->crash_after = (guint) g_ascii_strtoull (g_getenv ("SS_DEBUG_CRASH_AFTER"), NULL, 10);
  return g_steal_pointer (&self);
}

const char *
ss_journal_get_path (SsJournal *self)
{
  const char *path;

  g_return_val_if_fail (SS_IS_JOURNAL (self), NULL);

  path = sqlite3_db_filename (self->db, "main");
  return path != NULL && *path != '\0' ? path : NULL;
}

char *
ss_journal_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "spamsieve", "state.sqlite", NULL);
}

/* A prepared statement for sql (a string literal: its address is the key), compiled once
 * and reused; hand it back with release(). The journal is used by one thread at a time. */
static sqlite3_stmt *
prepare (SsJournal   *self,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->stmts, sql);

  if (stmt != NULL)
    return stmt;
  if (sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
      SQLITE_OK)
    {
      set_db_error (self->db, "prepare", error);
      sqlite3_finalize (stmt);
      return NULL;
    }
  g_hash_table_insert (self->stmts, (gpointer) sql, stmt);
  return stmt;
}

static void
release (sqlite3_stmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

/* The verdict columns, from first on: message_id, sender, subject, scanned, score, threshold,
 * rules, verdict, destination. rules is r->rules joined (kept by the caller until the step). */
static void
bind_verdict (sqlite3_stmt   *stmt,
              int             first,
              const SsRecord *r,
              const char     *rules)
{
  sqlite3_bind_text (stmt, first, r->message_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, first + 1, r->from, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, first + 2, r->subject, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, first + 3, r->scanned);
  sqlite3_bind_double (stmt, first + 4, r->score);
  sqlite3_bind_double (stmt, first + 5, r->threshold);
  sqlite3_bind_text (stmt, first + 6, rules, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, first + 7, ss_verdict_kind_to_string (r->verdict), -1,
                     SQLITE_STATIC);
  sqlite3_bind_text (stmt, first + 8, r->destination, -1, SQLITE_TRANSIENT);
}

static void
bind_key (sqlite3_stmt *stmt,
          const char   *account,
          const char   *folder,
          guint32       uidvalidity,
          guint32       uid)
{
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, folder, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, uidvalidity);
  sqlite3_bind_int64 (stmt, 4, uid);
}

gboolean
ss_journal_note_scan_failure (SsJournal     *self,
                              const char    *account,
                              const char    *folder,
                              guint32        uidvalidity,
                              guint32        uid,
                              const char    *reason,
                              SsScanFailure *out,
                              GError       **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  stmt = prepare (self,
                  "INSERT INTO scan_failures VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, ?6) "
                  "ON CONFLICT DO UPDATE SET tries = tries + 1, last_failure = ?5, "
                  "reason = ?6 RETURNING tries, first_failure, last_failure", error);
  if (stmt == NULL)
    return FALSE;
  bind_key (stmt, account, folder, uidvalidity, uid);
  sqlite3_bind_int64 (stmt, 5, now);
  sqlite3_bind_text (stmt, 6, reason, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && out != NULL)
    {
      out->tries = sqlite3_column_int (stmt, 0);
      out->first_failure = sqlite3_column_int64 (stmt, 1);
      out->last_failure = sqlite3_column_int64 (stmt, 2);
    }
  release (stmt);
  if (rc != SQLITE_ROW)
    return set_db_error (self->db, "scan failure", error);
  return TRUE;
}

gboolean
ss_journal_forget (SsJournal      *self,
                   SsJournalTable  table,
                   const char     *account,
                   const char     *folder,
                   guint32         uidvalidity,
                   guint32         uid,
                   GError        **error)
{
  gboolean pending = table == SS_JOURNAL_PENDING;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  stmt = prepare (self, pending ? "DELETE FROM pending WHERE account = ?1 AND folder = ?2 "
                                  "AND uidvalidity = ?3 AND uid = ?4"
                                : "DELETE FROM scan_failures WHERE account = ?1 AND folder = ?2 "
                                  "AND uidvalidity = ?3 AND uid = ?4", error);
  if (stmt == NULL)
    return FALSE;
  bind_key (stmt, account, folder, uidvalidity, uid);
  rc = sqlite3_step (stmt);
  release (stmt);
  return rc == SQLITE_DONE || set_db_error (self->db, pending ? "pending" : "clear", error);
}

static void
trim_history (SsJournal  *self,
              const char *account,
              gint64      now)
{
  sqlite3_stmt *stmt = prepare (self,
                                "DELETE FROM history WHERE account = ?1 AND (time < ?2 OR id <= "
                                "(SELECT id FROM history WHERE account = ?1 ORDER BY id DESC "
                                "LIMIT 1 OFFSET ?3))", NULL);

  if (stmt == NULL)
    return;
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, now - HISTORY_MAX_AGE);
  sqlite3_bind_int (stmt, 3, HISTORY_MAX_ROWS);
  sqlite3_step (stmt);
  release (stmt);
}

gboolean
ss_journal_add_record (SsJournal      *self,
                       const char     *account,
                       const SsRecord *r,
                       GError        **error)
{
  g_autofree char *rules = r->rules != NULL ? g_strjoinv (",", r->rules) : NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  stmt = prepare (self, "INSERT INTO history (account, time, folder, uidvalidity, uid, "
                        "message_id, sender, subject, scanned, score, threshold, rules, "
                        "verdict, destination, dest_uidvalidity, dest_uid) "
                        "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)",
                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, r->time);
  sqlite3_bind_text (stmt, 3, r->folder, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, r->uidvalidity);
  sqlite3_bind_int64 (stmt, 5, r->uid);
  bind_verdict (stmt, 6, r, rules);
  sqlite3_bind_int64 (stmt, 15, r->dest_uidvalidity);
  sqlite3_bind_int64 (stmt, 16, r->dest_uid);
  rc = sqlite3_step (stmt);
  release (stmt);
  if (rc != SQLITE_DONE)
    return set_db_error (self->db, "history", error);
  if (++self->inserts % 256 == 1)
    trim_history (self, account, r->time);
  return TRUE;
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  const char *text = (const char *) sqlite3_column_text (stmt, column);
  return g_strdup (text != NULL ? text : "");
}

/* A history row (and the first columns of a pending one): time, folder, uidvalidity, uid,
 * message_id, sender, subject, scanned, score, threshold, rules, verdict, destination,
 * dest_uidvalidity, dest_uid. */
static SsRecord *
record_from_row (sqlite3_stmt *stmt)
{
  SsRecord *r = ss_record_new ();
  const char *rules = (const char *) sqlite3_column_text (stmt, 10);

  r->time = sqlite3_column_int64 (stmt, 0);
  r->folder = column_dup (stmt, 1);
  r->uidvalidity = sqlite3_column_int64 (stmt, 2);
  r->uid = sqlite3_column_int64 (stmt, 3);
  r->message_id = column_dup (stmt, 4);
  r->from = column_dup (stmt, 5);
  r->subject = column_dup (stmt, 6);
  r->scanned = sqlite3_column_int (stmt, 7);
  r->score = sqlite3_column_double (stmt, 8);
  r->threshold = sqlite3_column_double (stmt, 9);
  r->rules = rules != NULL && *rules ? g_strsplit (rules, ",", -1) : g_new0 (char *, 1);
  if (!ss_verdict_kind_from_string ((const char *) sqlite3_column_text (stmt, 11), &r->verdict))
    r->verdict = SS_VERDICT_UNSCANNED;
  r->destination = column_dup (stmt, 12);
  r->dest_uidvalidity = sqlite3_column_int64 (stmt, 13);
  r->dest_uid = sqlite3_column_int64 (stmt, 14);
  return r;
}

typedef gpointer (*RowFunc) (sqlite3_stmt *stmt);

/* Steps the bound stmt to its end: one from_row() item per row. */
static GPtrArray *
collect_rows (SsJournal       *self,
              sqlite3_stmt    *stmt,
              RowFunc          from_row,
              GDestroyNotify   free_func,
              const char      *what,
              GError         **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, from_row (stmt));
  release (stmt);
  if (rc != SQLITE_DONE)
    {
      set_db_error (self->db, what, error);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

GPtrArray *
ss_journal_list_records (SsJournal  *self,
                         const char *account,
                         guint       limit,
                         GError    **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (SS_IS_JOURNAL (self), NULL);

  stmt = prepare (self, "SELECT time, folder, uidvalidity, uid, message_id, sender, subject, "
                        "scanned, score, threshold, rules, verdict, destination, "
                        "dest_uidvalidity, dest_uid FROM history WHERE account = ?1 "
                        "ORDER BY id DESC LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, limit);
  return collect_rows (self, stmt, (RowFunc) record_from_row,
                       (GDestroyNotify) ss_record_free, "history", error);
}

/* ---------------------------------------------------------------------------------------- */
/* Steps of messages leaving Unfiltered                                                     */

void
ss_pending_free (SsPending *pending)
{
  if (pending == NULL)
    return;
  ss_record_free (pending->record);
  g_free (pending);
}

gboolean
ss_journal_begin (SsJournal  *self,
                  GError    **error)
{
  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  if (sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return set_db_error (self->db, "begin", error);
  return TRUE;
}

gboolean
ss_journal_commit (SsJournal  *self,
                   GError    **error)
{
  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  if (sqlite3_exec (self->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    {
      set_db_error (self->db, "commit", error);
      ss_journal_rollback (self);
      return FALSE;
    }
  if (self->crash_after > 0 && ++self->commits == self->crash_after)
    {
      g_printerr ("spamsieve: SS_DEBUG_CRASH_AFTER=%u: exiting after journal write %u\n",
                  self->crash_after, self->commits);
      _exit (99);
    }
  return TRUE;
}

void
ss_journal_rollback (SsJournal *self)
{
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

gboolean
ss_journal_put_pending (SsJournal       *self,
                        const char      *account,
                        const SsPending *p,
                        GError         **error)
{
  const SsRecord *r = p->record;
  g_autofree char *rules = r->rules != NULL ? g_strjoinv (",", r->rules) : NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = prepare (self, "INSERT OR REPLACE INTO pending VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,"
                        "?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)", error);
  if (stmt == NULL)
    return FALSE;
  bind_key (stmt, account, r->folder, r->uidvalidity, p->uid);
  sqlite3_bind_int (stmt, 5, p->step);
  sqlite3_bind_int64 (stmt, 6, r->time);
  bind_verdict (stmt, 7, r, rules);
  sqlite3_bind_int64 (stmt, 16, (sqlite3_int64) p->size);
  sqlite3_bind_int64 (stmt, 17, p->dest_uidnext);
  sqlite3_bind_int64 (stmt, 18, r->dest_uidvalidity);
  sqlite3_bind_int64 (stmt, 19, r->dest_uid);
  rc = sqlite3_step (stmt);
  release (stmt);
  return rc == SQLITE_DONE || set_db_error (self->db, "pending", error);
}

/* A pending row: the record's columns as in history (0–14), then step, size, dest_uidnext. */
static SsPending *
pending_from_row (sqlite3_stmt *stmt)
{
  SsPending *p = g_new0 (SsPending, 1);

  p->record = record_from_row (stmt);
  p->uid = p->record->uid;
  p->step = sqlite3_column_int (stmt, 15);
  p->size = sqlite3_column_int64 (stmt, 16);
  p->dest_uidnext = sqlite3_column_int64 (stmt, 17);
  return p;
}

GPtrArray *
ss_journal_list_pending (SsJournal  *self,
                         const char *account,
                         const char *folder,
                         GError    **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (SS_IS_JOURNAL (self), NULL);

  stmt = prepare (self, "SELECT time, folder, uidvalidity, uid, message_id, sender, subject, "
                        "scanned, score, threshold, rules, verdict, destination, "
                        "dest_uidvalidity, dest_uid, step, size, dest_uidnext FROM pending "
                        "WHERE account = ?1 AND folder = ?2 "
                        "ORDER BY uid", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, folder, -1, SQLITE_TRANSIENT);
  return collect_rows (self, stmt, (RowFunc) pending_from_row,
                       (GDestroyNotify) ss_pending_free, "pending", error);
}

/* ---------------------------------------------------------------------------------------- */
/* Initial training                                                                          */

gboolean
ss_journal_add_trained (SsJournal  *self,
                        const char *account,
                        const char *folder,
                        guint32     uidvalidity,
                        guint32     uid,
                        const char *message_id,
                        gboolean    is_spam,
                        GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  stmt = prepare (self, "INSERT OR REPLACE INTO trained VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                  error);
  if (stmt == NULL)
    return FALSE;
  bind_key (stmt, account, folder, uidvalidity, uid);
  sqlite3_bind_text (stmt, 5, message_id != NULL ? message_id : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 6, !!is_spam);
  sqlite3_bind_int64 (stmt, 7, g_get_real_time () / G_USEC_PER_SEC);
  rc = sqlite3_step (stmt);
  release (stmt);
  return rc == SQLITE_DONE || set_db_error (self->db, "trained", error);
}

char *
ss_journal_trained_key (const char *folder,
                        guint32     uidvalidity,
                        guint32     uid)
{
  return g_strdup_printf ("uid:%u:%u:%s", uidvalidity, uid, folder);
}

GHashTable *
ss_journal_list_trained (SsJournal  *self,
                         const char *account,
                         GError    **error)
{
  g_autoptr(GHashTable) set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (SS_IS_JOURNAL (self), NULL);

  stmt = prepare (self, "SELECT folder, uidvalidity, uid, message_id FROM trained "
                        "WHERE account = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *mid = (const char *) sqlite3_column_text (stmt, 3);

      g_hash_table_add (set, ss_journal_trained_key ((const char *) sqlite3_column_text (stmt, 0),
                                                     sqlite3_column_int64 (stmt, 1),
                                                     sqlite3_column_int64 (stmt, 2)));
      if (mid != NULL && *mid != '\0')
        g_hash_table_add (set, g_strconcat ("mid:", mid, NULL));
    }
  release (stmt);
  if (rc != SQLITE_DONE)
    return set_db_error (self->db, "trained", error), NULL;

  /* Corrections already learned count as known too. */
  stmt = prepare (self, "SELECT DISTINCT message_id FROM history WHERE account = ?1 AND "
                        "verdict IN ('learned-ham', 'learned-spam') AND message_id != ''", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (set, g_strconcat ("mid:", sqlite3_column_text (stmt, 0), NULL));
  release (stmt);
  if (rc != SQLITE_DONE)
    return set_db_error (self->db, "history", error), NULL;
  return g_steal_pointer (&set);
}

sqlite3_stmt *
_ss_journal_prepare (SsJournal   *self,
                     const char  *sql,
                     GError     **error)
{
  return prepare (self, sql, error);
}

void
_ss_journal_release (sqlite3_stmt *stmt)
{
  release (stmt);
}

gboolean
_ss_journal_db_error (SsJournal   *self,
                      const char  *what,
                      GError     **error)
{
  return set_db_error (self->db, what, error);
}

/* ---------------------------------------------------------------------------------------- */
/* In-place mode                                                                             */

gboolean
ss_journal_get_scanned_upto (SsJournal   *self,
                          const char  *account,
                          const char  *folder,
                          guint32      uidvalidity,
                          gboolean    *found,
                          guint32     *uid,
                          GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  stmt = prepare (self, "SELECT uid FROM watermark WHERE account = ?1 AND folder = ?2 "
                        "AND uidvalidity = ?3", error);
  if (stmt == NULL)
    return FALSE;
  bind_key (stmt, account, folder, uidvalidity, 0);
  rc = sqlite3_step (stmt);
  *found = rc == SQLITE_ROW;
  *uid = *found ? (guint32) sqlite3_column_int64 (stmt, 0) : 0;
  release (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE || set_db_error (self->db, "watermark", error);
}

gboolean
ss_journal_set_scanned_upto (SsJournal   *self,
                          const char  *account,
                          const char  *folder,
                          guint32      uidvalidity,
                          guint32      uid,
                          GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  /* Older UIDVALIDITYs of the folder mean nothing any more. */
  stmt = prepare (self, "DELETE FROM watermark WHERE account = ?1 AND folder = ?2 "
                        "AND uidvalidity != ?3", error);
  if (stmt == NULL)
    return FALSE;
  bind_key (stmt, account, folder, uidvalidity, 0);
  rc = sqlite3_step (stmt);
  release (stmt);
  if (rc != SQLITE_DONE)
    return set_db_error (self->db, "watermark", error);
  stmt = prepare (self, "INSERT OR REPLACE INTO watermark (account, folder, uidvalidity, uid) "
                        "VALUES (?1, ?2, ?3, ?4)", error);
  if (stmt == NULL)
    return FALSE;
  bind_key (stmt, account, folder, uidvalidity, uid);
  rc = sqlite3_step (stmt);
  release (stmt);
  return rc == SQLITE_DONE || set_db_error (self->db, "watermark", error);
}

gboolean
ss_journal_count_since (SsJournal   *self,
                        const char  *account,
                        const char  *folder,
                        gint64       since,
                        guint       *count,
                        GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  stmt = prepare (self, "SELECT COUNT(*) FROM history WHERE account = ?1 AND folder = ?2 "
                        "AND time >= ?3", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, folder, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, since);
  rc = sqlite3_step (stmt);
  *count = rc == SQLITE_ROW ? (guint) sqlite3_column_int64 (stmt, 0) : 0;
  release (stmt);
  return rc == SQLITE_ROW || set_db_error (self->db, "history", error);
}

/* ---------------------------------------------------------------------------------------- */
/* Implicit confirmation                                                                     */

gboolean
ss_journal_put_confirm (SsJournal   *self,
                        const char  *account,
                        const char  *message_id,
                        gboolean     is_spam,
                        GBytes      *head,
                        GError     **error)
{
  sqlite3_stmt *stmt;
  gconstpointer data;
  gsize len = 0;
  int rc;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  stmt = prepare (self, "INSERT OR REPLACE INTO confirm VALUES (?1, ?2, ?3, ?4, ?5)", error);
  if (stmt == NULL)
    return FALSE;
  data = g_bytes_get_data (head, &len);
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, message_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 3, !!is_spam);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_blob (stmt, 5, data, (int) len, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  release (stmt);
  return rc == SQLITE_DONE || set_db_error (self->db, "confirm", error);
}

gboolean
ss_journal_take_confirmed (SsJournal         *self,
                           const char        *account,
                           gint64             until,
                           SsConfirmedFunc    func,
                           gpointer           user_data,
                           GError           **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  stmt = prepare (self, "SELECT c.spam, c.head FROM confirm c WHERE c.account = ?1 "
                        "AND c.time <= ?2 AND NOT EXISTS (SELECT 1 FROM history h "
                        "WHERE h.account = c.account AND h.message_id = c.message_id "
                        "AND h.verdict IN ('learned-ham', 'learned-spam') "
                        "AND h.time >= c.time)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, until);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    func (sqlite3_column_blob (stmt, 1), (gsize) sqlite3_column_bytes (stmt, 1),
          sqlite3_column_int (stmt, 0), user_data);
  release (stmt);
  if (rc != SQLITE_DONE)
    return set_db_error (self->db, "confirm", error);

  stmt = prepare (self, "DELETE FROM confirm WHERE account = ?1 AND time <= ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, until);
  rc = sqlite3_step (stmt);
  release (stmt);
  return rc == SQLITE_DONE || set_db_error (self->db, "confirm", error);
}
