/* ss-journal-moves.c: watermarks and learned moves (see ss-journal-moves.h). The tables are
 * created on first use, so older state files simply gain them. */
#define G_LOG_DOMAIN "ss-journal"

#include "config.h"

#include "ss-journal-moves.h"

#include "ss-error.h"
#include "ss-journal-private.h"

static const char moves_schema_sql[] =
  "CREATE TABLE IF NOT EXISTS watermarks ("
  "  account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,"
  "  uidnext INTEGER NOT NULL, PRIMARY KEY (account, folder));"
  "CREATE TABLE IF NOT EXISTS learned_moves ("
  "  account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL,"
  "  uid INTEGER NOT NULL, time INTEGER NOT NULL,"
  "  PRIMARY KEY (account, folder, uidvalidity, uid));"
  "CREATE INDEX IF NOT EXISTS history_dest ON history (account, destination, dest_uid);"
  "CREATE INDEX IF NOT EXISTS history_message_id ON history (account, message_id);";

static gboolean
db_error (sqlite3     *db,
          GError     **error)
{
  g_set_error (error, SS_ENGINE_ERROR, SS_ENGINE_ERROR_JOURNAL, "State database: %s",
               sqlite3_errmsg (db));
  return FALSE;
}

/* Prepares sql (after making sure the tables exist) and binds text/int arguments: a format
 * of 's' (const char *) and 'u' (guint32), one letter per argument. */
static sqlite3_stmt *
statement (SsJournal   *self,
           const char  *sql,
           GError     **error,
           const char  *format,
           ...)
{
  sqlite3 *db = _ss_journal_get_db (self);
  sqlite3_stmt *stmt = NULL;
  va_list args;

  if (sqlite3_exec (db, moves_schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      db_error (db, error);
      sqlite3_finalize (stmt);
      return NULL;
    }
  va_start (args, format);
  for (int i = 0; format[i] != '\0'; i++)
    {
      if (format[i] == 's')
        sqlite3_bind_text (stmt, i + 1, va_arg (args, const char *), -1, SQLITE_TRANSIENT);
      else
        sqlite3_bind_int64 (stmt, i + 1, va_arg (args, guint32));
    }
  va_end (args);
  return stmt;
}

/* Runs a statement that returns no rows. */
static gboolean
finish (SsJournal     *self,
        sqlite3_stmt  *stmt,
        GError       **error)
{
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return db_error (_ss_journal_get_db (self), error);
  return TRUE;
}

/* Steps to the first row: TRUE with *row set, or FALSE on error (stmt finalized then). */
static gboolean
first_row (SsJournal     *self,
           sqlite3_stmt  *stmt,
           gboolean      *row,
           GError       **error)
{
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      sqlite3_finalize (stmt);
      return db_error (_ss_journal_get_db (self), error);
    }
  *row = rc == SQLITE_ROW;
  return TRUE;
}

gboolean
ss_journal_get_watermark (SsJournal   *self,
                          const char  *account,
                          const char  *folder,
                          guint32     *uidvalidity,
                          guint32     *uidnext,
                          gboolean    *found,
                          GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  *uidvalidity = *uidnext = 0;
  stmt = statement (self, "SELECT uidvalidity, uidnext FROM watermarks "
                          "WHERE account = ? AND folder = ?", error, "ss", account, folder);
  if (!first_row (self, stmt, found, error))
    return FALSE;
  if (*found)
    {
      *uidvalidity = (guint32) sqlite3_column_int64 (stmt, 0);
      *uidnext = (guint32) sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_finalize (stmt);
  return TRUE;
}

gboolean
ss_journal_set_watermark (SsJournal   *self,
                          const char  *account,
                          const char  *folder,
                          guint32      uidvalidity,
                          guint32      uidnext,
                          GError     **error)
{
  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  return finish (self, statement (self, "INSERT OR REPLACE INTO watermarks (account, folder, "
                                        "uidvalidity, uidnext) VALUES (?, ?, ?, ?)",
                                  error, "ssuu", account, folder, uidvalidity, uidnext),
                 error);
}

gboolean
ss_journal_note_move_learned (SsJournal   *self,
                              const char  *account,
                              const char  *folder,
                              guint32      uidvalidity,
                              guint32      uid,
                              GError     **error)
{
  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  return finish (self, statement (self, "INSERT OR REPLACE INTO learned_moves (account, "
                                        "folder, uidvalidity, uid, time) "
                                        "VALUES (?, ?, ?, ?, strftime('%s', 'now'))",
                                  error, "ssuu", account, folder, uidvalidity, uid),
                 error);
}

gboolean
ss_journal_is_move_learned (SsJournal   *self,
                            const char  *account,
                            const char  *folder,
                            guint32      uidvalidity,
                            guint32      uid,
                            gboolean    *learned,
                            GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  stmt = statement (self, "SELECT 1 FROM learned_moves WHERE account = ? AND folder = ? "
                          "AND uidvalidity = ? AND uid = ?",
                    error, "ssuu", account, folder, uidvalidity, uid);
  if (!first_row (self, stmt, learned, error))
    return FALSE;
  sqlite3_finalize (stmt);
  return TRUE;
}

gboolean
ss_journal_is_own_arrival (SsJournal   *self,
                           const char  *account,
                           const char  *folder,
                           guint32      uidvalidity,
                           guint32      uid,
                           gboolean    *own,
                           GError     **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  stmt = statement (self, "SELECT 1 FROM history WHERE account = ? AND destination = ? "
                          "AND dest_uid = ? AND dest_uidvalidity = ?",
                    error, "ssuu", account, folder, uid, uidvalidity);
  if (!first_row (self, stmt, own, error))
    return FALSE;
  sqlite3_finalize (stmt);
  return TRUE;
}

gboolean
ss_journal_last_destination (SsJournal   *self,
                             const char  *account,
                             const char  *message_id,
                             char       **destination,
                             guint32     *dest_uid,
                             GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean row = FALSE;

  g_return_val_if_fail (SS_IS_JOURNAL (self), FALSE);

  *destination = NULL;
  *dest_uid = 0;
  if (message_id == NULL || *message_id == '\0')
    return TRUE;
  stmt = statement (self, "SELECT destination, dest_uid FROM history WHERE account = ? "
                          "AND message_id = ? ORDER BY id DESC LIMIT 1",
                    error, "ss", account, message_id);
  if (!first_row (self, stmt, &row, error))
    return FALSE;
  if (row)
    {
      *destination = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      *dest_uid = (guint32) sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_finalize (stmt);
  return TRUE;
}
