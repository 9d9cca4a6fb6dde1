/* ss-filter-confirm.c: implicit confirmation. A verdict the user leaves standing (no
 * correction within [filter] confirm-minutes) is learned by the personal learner as the
 * verdict said: so the learner sees all of the user's mail, not only the mistakes. The
 * learner's part of each scanned message (its head) waits in the journal until then. */
#define G_LOG_DOMAIN "ss-filter"

#include "config.h"

#include "ss-filter-private.h"

#include "ss-error.h"
#include "ss-journal-private.h"

static const char confirm_schema_sql[] =
  "CREATE TABLE IF NOT EXISTS confirm ("
  "  account TEXT NOT NULL, message_id TEXT NOT NULL, spam INTEGER NOT NULL,"
  "  time INTEGER NOT NULL, head BLOB NOT NULL, PRIMARY KEY (account, message_id));";

static gboolean
db_error (sqlite3  *db,
          GError  **error)
{
  g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_JOURNAL, "State database: %s",
               sqlite3_errmsg (db));
  return FALSE;
}

static sqlite3_stmt *
prepare (sqlite3     *db,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_exec (db, confirm_schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      db_error (db, error);
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

/* Keeps the head of a message just judged spam or ham, to be confirmed later. Only with a
 * learner, outside dry runs, and for messages with a Message-ID (corrections are matched by
 * it). Takes the job's kept body. */
void
_ss_filter_keep_for_confirm (SsFilter *self,
                             Job      *job,
                             gboolean  is_spam)
{
  g_autoptr(GBytes) head = g_steal_pointer (&job->confirm_head);
  sqlite3 *db;
  sqlite3_stmt *stmt;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  gconstpointer data;

  if (head == NULL || self->learner == NULL || self->dry_run || job->info == NULL ||
      job->info->message_id == NULL || *job->info->message_id == '\0')
    return;
  db = _ss_journal_get_db (self->journal);
  stmt = prepare (db, "INSERT OR REPLACE INTO confirm VALUES (?1, ?2, ?3, ?4, ?5)", &error);
  if (stmt == NULL)
    {
      g_message ("%s", error->message);
      return;
    }
  data = g_bytes_get_data (head, &len);
  sqlite3_bind_text (stmt, 1, self->account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, job->info->message_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 3, !!is_spam);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_blob (stmt, 5, data, (int) len, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    g_message ("State database: %s", sqlite3_errmsg (db));
  sqlite3_finalize (stmt);
}

/* Learns every kept head older than confirm-minutes whose message was not corrected since
 * (no learned-ham / learned-spam record with its Message-ID), and forgets them all. */
gboolean
ss_filter_run_confirm (SsFilter      *self,
                       GCancellable  *cancellable,
                       GError       **error)
{
  sqlite3 *db = _ss_journal_get_db (self->journal);
  gint64 until = g_get_real_time () / G_USEC_PER_SEC -
                 (gint64) self->config->confirm_minutes * 60;
  sqlite3_stmt *stmt;
  guint n = 0;
  int rc;

  g_return_val_if_fail (SS_IS_FILTER (self), FALSE);

  if (self->learner == NULL || self->dry_run)
    return TRUE;
  stmt = prepare (db, "SELECT c.spam, c.head FROM confirm c WHERE c.account = ?1 "
                      "AND c.time <= ?2 AND NOT EXISTS (SELECT 1 FROM history h "
                      "WHERE h.account = c.account AND h.message_id = c.message_id "
                      "AND h.verdict IN ('learned-ham', 'learned-spam') AND h.time >= c.time)",
                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, until);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ss_learner_learn (self->learner, sqlite3_column_blob (stmt, 1),
                        (gsize) sqlite3_column_bytes (stmt, 1), sqlite3_column_int (stmt, 0));
      n++;
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return db_error (db, error);
  stmt = prepare (db, "DELETE FROM confirm WHERE account = ?1 AND time <= ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->account, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, until);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return db_error (db, error);
  if (n > 0)
    g_debug ("%u verdict(s) confirmed by the user leaving them be", n);
  self->stats.confirmed += n;
  return TRUE;
}
