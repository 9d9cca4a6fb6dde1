/* test-inplace.c: filtering INBOX in place ([folders] unfiltered=INBOX), real dovecot + spamd.
 *
 * 100 new (unread) messages arrive in INBOX among 50 old read ones. Two passes of
 * spamsieve --headless --once: spam is in Spam, ham stays in INBOX with its UID and flags
 * ($NotJunk added), spamd is asked exactly 100 times in all, the old mail is untouched. Mail
 * that arrives later is taken by UID above the watermark, read or not. */
#define G_LOG_DOMAIN "test-inplace"

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "ss-imap-client.h"
#include "ss-test-servers.h"
#include "ss-test-utils.h"

#define N_OLD 50
#define N_NEW 100

typedef struct
{
  guint32  uid;
  char    *flags;   /* IMAP flags and keywords, sorted, space-separated */
} Seen;

static void
seen_free (Seen *s)
{
  g_free (s->flags);
  g_free (s);
}

/* A corpus message with an "X-Inplace: n" header first. */
static GBytes *
make_message (GPtrArray *corpus,
              guint      n)
{
  GBytes *base = g_ptr_array_index (corpus, n % corpus->len);
  GString *s = g_string_new (NULL);
  gsize len;
  const char *data = g_bytes_get_data (base, &len);

  g_string_append_printf (s, "X-Inplace: %u\n", n);
  g_string_append_len (s, data, len);
  return g_string_free_to_bytes (s);
}

static int
compare_str (gconstpointer a,
             gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
add_seen (SsImapMessage *message,
          gpointer       user_data)
{
  GHashTable *map = user_data;
  gsize len = 0;
  const char *data = g_bytes_get_data (message->body, &len);
  g_autofree char *head = g_strndup (data, len);
  const char *tag = strstr (head, "X-Inplace: ");
  g_autoptr(GPtrArray) flags = g_ptr_array_new ();
  Seen *s;

  if (tag != NULL)
    {
      for (guint i = 0; message->flags != NULL && message->flags[i] != NULL; i++)
        if (g_ascii_strcasecmp (message->flags[i], "\\Recent") != 0)
          g_ptr_array_add (flags, message->flags[i]);
      g_ptr_array_sort (flags, compare_str);
      g_ptr_array_add (flags, NULL);
      s = g_new0 (Seen, 1);
      s->uid = message->uid;
      s->flags = g_strjoinv (" ", (char **) flags->pdata);
      g_hash_table_insert (map, GUINT_TO_POINTER ((guint) g_ascii_strtoull (tag + 11, NULL,
                                                                            10) + 1), s);
    }
  ss_imap_message_free (message);
}

/* Message number + 1 → Seen, for every tagged message of folder (over IMAP). */
static GHashTable *
list_folder (const char *config_path,
             const char *folder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsConfig) config = ss_config_load_file (config_path, &error);
  g_autoptr(SsImapClient) imap = NULL;
  g_autoptr(GArray) uids = NULL;
  GHashTable *map = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) seen_free);

  g_assert_no_error (error);
  imap = ss_imap_client_new (config);
  g_assert_true (ss_imap_client_connect (imap, "secret", NULL, &error));
  g_assert_true (ss_imap_client_select (imap, folder, NULL, NULL, &error));
  uids = ss_imap_client_uid_search (imap, "ALL", NULL, &error);
  g_assert_no_error (error);
  if (uids->len > 0)
    g_assert_true (ss_imap_client_uid_fetch (imap, (guint32 *) uids->data, uids->len,
                                             SS_IMAP_FETCH_HEADER, add_seen, map, NULL,
                                             &error));
  g_assert_no_error (error);
  ss_imap_client_disconnect (imap);
  return map;
}

/* Checks spamd answered: how many "result:" lines its log has. */
static guint
count_spamd_results (SsTestSpamd *spamd)
{
  g_autofree char *log = NULL;
  guint n = 0;

  if (!g_file_get_contents (ss_test_spamd_get_log_file (spamd), &log, NULL, NULL))
    return 0;
  for (const char *p = log; (p = strstr (p, "spamd: result: ")) != NULL; p++)
    n++;
  return n;
}

/* The spamd log is written by spamd: wait until it stops growing. */
static guint
settled_spamd_results (SsTestSpamd *spamd)
{
  guint n = count_spamd_results (spamd);

  for (guint i = 0; i < 20; i++)
    {
      guint m;

      g_usleep (100 * 1000);
      m = count_spamd_results (spamd);
      if (m == n && i >= 2)
        break;
      n = m;
    }
  return n;
}

static int
run_once_args (SsTestBed          *bed,
               const char         *config,
               const char * const *args,
               char              **out,
               char              **err_out)
{
  g_autoptr(GSubprocessLauncher) launcher =
    ss_test_launcher_new (bed->dir, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                    G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = ss_test_spawn_headless (launcher, config, args);
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8 (proc, NULL, NULL, out, err_out, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  return g_subprocess_get_exit_status (proc);
}

static int
run_once (SsTestBed  *bed,
          const char *config,
          char      **err_out)
{
  const char * const args[] = { "--once", NULL };
  g_autofree char *out = NULL;

  return run_once_args (bed, config, args, &out, err_out);
}

/* After a pass: every message in INBOX or Spam, once; the old ones and the ham as before. */
static void
check_after (GHashTable *before,
             GHashTable *inbox,
             GHashTable *spam,
             guint       n_messages,
             guint      *n_spam,
             guint      *n_ham)
{
  *n_spam = *n_ham = 0;
  for (guint i = 0; i < n_messages; i++)
    {
      gpointer key = GUINT_TO_POINTER (i + 1);
      Seen *was = g_hash_table_lookup (before, key);
      Seen *in = g_hash_table_lookup (inbox, key);
      Seen *sp = g_hash_table_lookup (spam, key);

      g_assert_nonnull (was);
      g_assert_true ((in == NULL) != (sp == NULL));
      if (i < N_OLD)
        {
          /* Old read mail: not looked at. */
          g_assert_nonnull (in);
          g_assert_cmpuint (in->uid, ==, was->uid);
          g_assert_cmpstr (in->flags, ==, was->flags);
        }
      else if (in != NULL)
        {
          /* judged good, or close to the line (the uncertain band): one keyword says which */
          const char *keyword = strstr (in->flags, "$Uncertain") ? "$Uncertain" : "$NotJunk";
          g_autofree char *expected = g_strdup_printf ("%s%s%s", was->flags,
                                                       *was->flags ? " " : "", keyword);
          g_autofree char *sorted = NULL;
          g_auto(GStrv) parts = g_strsplit (expected, " ", -1);

          qsort (parts, g_strv_length (parts), sizeof (char *), compare_str);
          sorted = g_strjoinv (" ", parts);
          g_assert_cmpuint (in->uid, ==, was->uid);
          g_assert_cmpstr (in->flags, ==, sorted);
          (*n_ham)++;
        }
      else
        {
          g_assert_nonnull (strstr (sp->flags, "$Junk"));
          (*n_spam)++;
        }
    }
}

static void
test_two_passes (gpointer      fixture,
                 gconstpointer data)
{
  g_auto(SsTestBed) bed = { 0 };
  g_autoptr(GPtrArray) corpus = ss_test_corpus_load (NULL);
  g_autofree char *config = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GHashTable) before = NULL;
  SsTestSpamd *spamd = ss_test_case_spamd (data);
  gint64 month_ago = g_get_real_time () / G_USEC_PER_SEC - 30 * 24 * 3600;
  guint n0, n1, n2, n3, n_spam, n_ham;

  ss_test_bed_init (&bed, ss_test_case_options (data), spamd);
  /* 50 old read messages among 100 new ones (every fifth flagged, every seventh answered),
   * UIDs interleaved: every third is an old one. */
  for (guint k = 0, o = 0, n = N_OLD; k < N_OLD + N_NEW; k++)
    {
      gboolean old = k % 3 == 0 && o < N_OLD;
      guint i = old ? o++ : n++;
      g_autoptr(GBytes) m = make_message (corpus, i);

      ss_test_add (bed.dovecot, "INBOX", m,
                   old ? "S" : (i % 5 == 0 ? "F" : (i % 7 == 0 ? "R" : "")),
                   old ? month_ago : 0);
    }
  config = ss_test_write_config (&bed, NULL, NULL, 4, 0,
                                 "[folders]\nunfiltered=INBOX\n[filter]\nchunk=16\n"
                                 "[expire]\nunfiltered-days=1\n");
  before = list_folder (config, "INBOX");
  g_assert_cmpuint (g_hash_table_size (before), ==, N_OLD + N_NEW);

  n0 = settled_spamd_results (spamd);
  g_assert_cmpint (run_once (&bed, config, &err), ==, 0);
  g_test_message ("pass 1: %s", err);
  n1 = settled_spamd_results (spamd);
  {
    g_autoptr(GHashTable) inbox = list_folder (config, "INBOX");
    g_autoptr(GHashTable) spam = list_folder (config, "Spam");

    check_after (before, inbox, spam, N_OLD + N_NEW, &n_spam, &n_ham);
    g_test_message ("pass 1: %u spam moved, %u ham kept in place", n_spam, n_ham);
    g_assert_cmpuint (n_spam, >, 0);
    g_assert_cmpuint (n_ham, >, 0);
    g_assert_cmpuint (n_spam + n_ham, ==, N_NEW);
  }

  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_once (&bed, config, &err), ==, 0);
  g_test_message ("pass 2: %s", err);
  n2 = settled_spamd_results (spamd);
  {
    g_autoptr(GHashTable) inbox = list_folder (config, "INBOX");
    g_autoptr(GHashTable) spam = list_folder (config, "Spam");
    guint s2, h2;

    check_after (before, inbox, spam, N_OLD + N_NEW, &s2, &h2);
    g_assert_cmpuint (s2, ==, n_spam);
    g_assert_cmpuint (h2, ==, n_ham);
  }
  g_test_message ("spamd asked %u times in pass 1, %u in pass 2", n1 - n0, n2 - n1);
  g_assert_cmpuint (n1 - n0, ==, N_NEW);
  g_assert_cmpuint (n2 - n1, ==, 0);

  /* Later mail, read or not, is taken by its UID above the watermark. */
  for (guint i = N_OLD + N_NEW; i < N_OLD + N_NEW + 5; i++)
    {
      g_autoptr(GBytes) m = make_message (corpus, i);
      ss_test_add (bed.dovecot, "INBOX", m, i % 2 == 0 ? "S" : "", month_ago);
    }
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_once (&bed, config, &err), ==, 0);
  n3 = settled_spamd_results (spamd);
  g_test_message ("pass 3 (5 later messages): spamd asked %u times: %s", n3 - n2, err);
  g_assert_cmpuint (n3 - n2, ==, 5);
}

static void
test_first_scan_off (gpointer      fixture,
                     gconstpointer data)
{
  g_auto(SsTestBed) bed = { 0 };
  g_autoptr(GPtrArray) corpus = ss_test_corpus_load (NULL);
  g_autofree char *config = NULL;
  g_autofree char *err = NULL;
  SsTestSpamd *spamd = ss_test_case_spamd (data);
  guint n0, n1, n2;

  ss_test_bed_init (&bed, ss_test_case_options (data), spamd);
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(GBytes) m = make_message (corpus, i);
      ss_test_add (bed.dovecot, "INBOX", m, "", 0);
    }
  config = ss_test_write_config (&bed, NULL, NULL, 4, 0,
                                 "[folders]\nunfiltered=INBOX\n[filter]\nfirst-scan-days=0\n");
  n0 = settled_spamd_results (spamd);
  g_assert_cmpint (run_once (&bed, config, &err), ==, 0);
  n1 = settled_spamd_results (spamd);
  /* first-scan-days=0: what is there at the first start is left alone. */
  g_assert_cmpuint (n1 - n0, ==, 0);
  g_assert_cmpuint (ss_test_count_stored (bed.dovecot, "INBOX", NULL), ==, 10);
  for (guint i = 10; i < 13; i++)
    {
      g_autoptr(GBytes) m = make_message (corpus, i);
      ss_test_add (bed.dovecot, "INBOX", m, "", 0);
    }
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_once (&bed, config, &err), ==, 0);
  n2 = settled_spamd_results (spamd);
  g_assert_cmpuint (n2 - n1, ==, 3);
}

/* Unfiltered mode, but the mail goes to INBOX: --once says so (stderr; --json: a record). */
static void
test_bypass_hint (gpointer      fixture,
                  gconstpointer data)
{
  const char * const json_args[] = { "--once", "--json", NULL };
  g_auto(SsTestBed) bed = { 0 };
  g_autoptr(GPtrArray) corpus = ss_test_corpus_load (NULL);
  g_autofree char *config = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  ss_test_bed_init (&bed, ss_test_case_options (data), ss_test_case_spamd (data));
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GBytes) m = make_message (corpus, i);
      ss_test_add (bed.dovecot, "INBOX", m, "", 0);
    }
  /* Read or judged mail does not count. */
  {
    g_autoptr(GBytes) m = make_message (corpus, 3);
    ss_test_add (bed.dovecot, "INBOX", m, "S", 0);
  }
  config = ss_test_write_config (&bed, NULL, NULL, 4, 0, NULL);
  g_assert_cmpint (run_once (&bed, config, &err), ==, 0);
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, "hint: Unfiltered is empty, but 3 new message(s) in INBOX "
                                 "were not filtered"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_once_args (&bed, config, json_args, &out, &err), ==, 0);
  /* after "account" */
  g_assert_nonnull (strstr (out, ",\"event\":\"hint\",\"hint\":\"inbox-bypass\","
                                 "\"folder\":\"INBOX\",\"unfiltered\":\"Unfiltered\","
                                 "\"count\":3}"));
  /* Mail in Unfiltered: the rule works, no hint. */
  {
    g_autoptr(GBytes) m = make_message (corpus, 4);
    ss_test_add (bed.dovecot, "Unfiltered", m, "", 0);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_once_args (&bed, config, json_args, &out, &err), ==, 0);
  g_assert_null (strstr (out, "inbox-bypass"));
  /* In place: never. */
  g_clear_pointer (&config, g_free);
  config = ss_test_write_config (&bed, NULL, NULL, 4, 0, "[folders]\nunfiltered=INBOX\n");
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_once (&bed, config, &err), ==, 0);
  g_assert_null (strstr (err, "hint:"));
}

static const SsTestCase cases[] = {
  SS_TEST_CASE ("bypass-hint", NULL, test_bypass_hint),
  SS_TEST_CASE ("two-passes", NULL, test_two_passes),
  SS_TEST_CASE ("first-scan-off", NULL, test_first_scan_off),
};

static const SsTestSuite suite = {
  "/spamsieve/inplace/", 0, NULL, NULL, cases, G_N_ELEMENTS (cases), FALSE, NULL
};

int
main (int    argc,
      char **argv)
{
  return ss_test_run_suite (&argc, &argv, &suite);
}
