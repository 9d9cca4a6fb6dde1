/* ss-test-mailcheck.c: unique corpus messages and the invariant check (see the header) */
#define G_LOG_DOMAIN "ss-test-mailcheck"

#include "config.h"

#include "ss-test-mailcheck.h"
#include "ss-test-utils.h"

#include <string.h>

/* Unfiltered last: a \Deleted original left there is the duplicate of a copy elsewhere. */
static const char * const checked_folders[] = { "INBOX", "Spam", "Unfiltered", NULL };
static const char * const learning_folders[] = { "Spam/False Positives",
                                                 "Spam/False Negatives", NULL };
static const char * const flag_cycle[] = { "", "S", "", "FS" };

void
ss_test_mail_free (SsTestMail *mail)
{
  if (mail == NULL)
    return;
  g_bytes_unref (mail->content);
  g_free (mail->flags);
  g_free (mail->message_id);
  g_free (mail);
}

/* The Message-Id line's "<" (at a line start, case-insensitive name), or NULL. */
static const char *
find_message_id (const char *data,
                 gsize       len)
{
  static const char name[] = "message-id:";

  for (gsize i = 0; i + sizeof name < len; i++)
    {
      if ((i == 0 || data[i - 1] == '\n') &&
          g_ascii_strncasecmp (data + i, name, sizeof name - 1) == 0)
        {
          const char *lt = memchr (data + i, '<', len - i);
          const char *nl = memchr (data + i, '\n', len - i);

          return lt != NULL && (nl == NULL || lt < nl) ? lt : NULL;
        }
      /* Headers end at the first empty line. */
      if (data[i] == '\n' && i + 1 < len && (data[i + 1] == '\n' || data[i + 1] == '\r'))
        return NULL;
    }
  return NULL;
}

static SsTestMail *
make_unique (GBytes     *original,
             const char *tag,
             guint       index)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (original, &len);
  const char *lt = find_message_id (data, len);
  g_autofree char *insert = g_strdup_printf ("%s.%u.", tag, index);
  GString *out = g_string_sized_new (len + 32);
  SsTestMail *mail = g_new0 (SsTestMail, 1);
  const char *gt;

  g_assert_nonnull (lt);
  gt = memchr (lt, '>', len - (gsize) (lt - data));
  g_assert_nonnull (gt);
  g_string_append_len (out, data, lt + 1 - data);
  g_string_append (out, insert);
  g_string_append_len (out, lt + 1, len - (gsize) (lt + 1 - data));
  mail->message_id = g_strdup_printf ("%s%.*s", insert, (int) (gt - lt - 1), lt + 1);
  mail->content = g_string_free_to_bytes (out);
  mail->flags = g_strdup (flag_cycle[index % G_N_ELEMENTS (flag_cycle)]);
  return mail;
}

GPtrArray *
ss_test_mail_corpus (guint       n,
                     const char *tag)
{
  g_autoptr(GPtrArray) base = ss_test_corpus_load (NULL);
  GPtrArray *mails = g_ptr_array_new_with_free_func ((GDestroyNotify) ss_test_mail_free);

  g_ptr_array_add (base, ss_test_data_load ("gtube.eml"));
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (mails, make_unique (g_ptr_array_index (base, i % base->len), tag, i));
  return mails;
}

GPtrArray *
ss_test_mail_corpus_added (SsTestDovecot *dovecot,
                           guint          n,
                           const char    *tag)
{
  GPtrArray *mails = ss_test_mail_corpus (n, tag);

  ss_test_mail_add_all (dovecot, "Unfiltered", mails);
  return mails;
}

void
ss_test_mail_add_all (SsTestDovecot *dovecot,
                      const char    *folder,
                      GPtrArray     *mails)
{
  for (guint i = 0; i < mails->len; i++)
    {
      SsTestMail *mail = g_ptr_array_index (mails, i);

      ss_test_add (dovecot, folder, mail->content, mail->flags, 0);
    }
}

/* Files not marked \Deleted (maildir flag T). */
static guint
count_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      const char *info = strstr (name, ":2,");

      if (name[0] != '.' && (info == NULL || strchr (info + 3, 'T') == NULL))
        n++;
    }
  return n;
}

guint
ss_test_mail_count (SsTestDovecot *dovecot,
                    const char    *folder)
{
  g_autofree char *dot = g_strconcat (".", folder, NULL);
  g_autofree char *base = NULL;
  g_autofree char *cur = NULL;
  g_autofree char *new = NULL;

  g_assert_null (strchr (folder, '/'));
  base = g_build_filename (ss_test_dovecot_get_dir (dovecot), "Maildir",
                           g_ascii_strcasecmp (folder, "INBOX") == 0 ? "" : dot, NULL);
  cur = g_build_filename (base, "cur", NULL);
  new = g_build_filename (base, "new", NULL);
  /* A file being renamed from new/ to cur/ could be missed or seen twice: count until
   * two listings agree. */
  for (;;)
    {
      guint a = count_dir (new) + count_dir (cur);
      guint b = count_dir (new) + count_dir (cur);

      if (a == b)
        return a;
    }
}

typedef struct
{
  const char          *folder;
  SsTestStoredMessage *stored;
} Place;

void
ss_test_mail_check (SsTestDovecot    *dovecot,
                    GPtrArray        *mails,
                    gboolean          allow_unfiltered,
                    gboolean          tolerate_duplicates,
                    SsTestMailCensus *census)
{
  g_autoptr(GPtrArray) listings =
    g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GHashTable) expected = g_hash_table_new (g_bytes_hash, g_bytes_equal);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, NULL, g_free);
  SsTestMailCensus local = { 0 };

  for (guint i = 0; i < mails->len; i++)
    {
      SsTestMail *mail = g_ptr_array_index (mails, i);
      g_assert_true (g_hash_table_insert (expected, mail->content, mail));
    }
  for (guint f = 0; learning_folders[f] != NULL; f++)
    {
      g_autoptr(GPtrArray) stored = ss_test_dovecot_list_messages (dovecot, learning_folders[f]);
      if (stored->len != 0)
        g_error ("%u message(s) in %s", stored->len, learning_folders[f]);
    }

  for (guint f = 0; checked_folders[f] != NULL; f++)
    {
      GPtrArray *stored = ss_test_dovecot_list_messages (dovecot, checked_folders[f]);

      g_ptr_array_add (listings, stored);
      for (guint j = 0; j < stored->len; j++)
        {
          SsTestStoredMessage *m = g_ptr_array_index (stored, j);
          SsTestMail *mail = g_hash_table_lookup (expected, m->content);
          Place *place;

          if (mail == NULL)
            {
              local.strangers++;
              continue;
            }
          place = g_hash_table_lookup (seen, m->content);
          if (place == NULL && strchr (m->flags, 'T') != NULL)
            g_error ("message <%s> is only in %s, and marked \\Deleted there",
                     mail->message_id, checked_folders[f]);
          if (place != NULL)
            {
              if (!tolerate_duplicates)
                g_error ("message <%s> is in %s and in %s", mail->message_id, place->folder,
                         checked_folders[f]);
              g_test_message ("duplicate: <%s> in %s and %s", mail->message_id, place->folder,
                              checked_folders[f]);
              local.duplicates++;
              continue;
            }
          place = g_new0 (Place, 1);
          place->folder = checked_folders[f];
          place->stored = m;
          g_hash_table_insert (seen, m->content, place);

          if (g_strcmp0 (m->flags, mail->flags) != 0)
            g_error ("message <%s> in %s has flags \"%s\", was added with \"%s\"",
                     mail->message_id, checked_folders[f], m->flags, mail->flags);
          if (g_str_equal (checked_folders[f], "Spam"))
            {
              if (!ss_test_has_keyword (m, "$Junk") || ss_test_has_keyword (m, "$NotJunk"))
                g_error ("message <%s> in Spam without $Junk or with $NotJunk",
                         mail->message_id);
              local.in_spam++;
            }
          else if (g_str_equal (checked_folders[f], "INBOX"))
            {
              /* ham: $NotJunk; the uncertain band: $Uncertain; never both, never $Junk */
              if (ss_test_has_keyword (m, "$NotJunk") == ss_test_has_keyword (m, "$Uncertain") ||
                  ss_test_has_keyword (m, "$Junk"))
                g_error ("message <%s> in INBOX without one of $NotJunk, $Uncertain, or "
                         "with $Junk", mail->message_id);
              local.in_inbox++;
            }
          else
            {
              if (!allow_unfiltered)
                g_error ("message <%s> is still in Unfiltered", mail->message_id);
              local.in_unfiltered++;
            }
        }
    }
  for (guint i = 0; i < mails->len; i++)
    {
      SsTestMail *mail = g_ptr_array_index (mails, i);

      if (!g_hash_table_contains (seen, mail->content))
        g_error ("message <%s> is lost: in none of Unfiltered, INBOX, Spam (byte-exact)",
                 mail->message_id);
    }
  g_assert_cmpuint (local.strangers, ==, 0);
  g_assert_cmpuint (local.in_unfiltered + local.in_inbox + local.in_spam, ==, mails->len);
  if (census != NULL)
    *census = local;
}

void
ss_test_mail_check_stopped (SsTestDovecot *dovecot,
                            GPtrArray     *mails,
                            guint          n_records)
{
  SsTestMailCensus census;

  ss_test_mail_check (dovecot, mails, TRUE, FALSE, &census);
  g_test_message ("%u left in Unfiltered, %u in INBOX, %u in Spam; %u records",
                  census.in_unfiltered, census.in_inbox, census.in_spam, n_records);
  g_assert_cmpuint (census.in_unfiltered, >, 0);
  g_assert_cmpuint (census.in_inbox + census.in_spam, ==, n_records);
}

const char *
ss_test_mail_locate (SsTestDovecot *dovecot,
                     SsTestMail    *mail)
{
  return ss_test_locate (dovecot, mail->content, checked_folders, NULL);
}
