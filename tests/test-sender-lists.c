/* test-sender-lists.c: allow and block lists on their own: the rule (an allowed sender never
 * rescues certain spam), address parsing, lookup order, settings entries, the saved file
 * (round trip, a corrupt file, a crash mid-save leaves the last good file), Undo of a mark
 * and the \Sent reading position. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ss-message-info.h"
#include "ss-sender-lists.h"

static void
test_rule (void)
{
  const struct {
    SsSenderStatus status;
    double         score;
    SsVerdictKind  in;
    SsVerdictKind  out;
    const char    *rule;
  } cases[] = {
    { SS_SENDER_UNLISTED, 8.0,  SS_VERDICT_SPAM, SS_VERDICT_SPAM, NULL },
    { SS_SENDER_UNLISTED, 1.0,  SS_VERDICT_HAM,  SS_VERDICT_HAM,  NULL },
    { SS_SENDER_ALLOWED,  8.0,  SS_VERDICT_SPAM, SS_VERDICT_HAM,  SS_SENDER_RULE_ALLOW },
    { SS_SENDER_ALLOWED,  14.9, SS_VERDICT_SPAM, SS_VERDICT_HAM,  SS_SENDER_RULE_ALLOW },
    { SS_SENDER_ALLOWED,  -2.0, SS_VERDICT_HAM,  SS_VERDICT_HAM,  SS_SENDER_RULE_ALLOW },
    /* Spoofing: certain spam stays spam whatever the allow list says. */
    { SS_SENDER_ALLOWED,  15.0, SS_VERDICT_SPAM, SS_VERDICT_SPAM, SS_SENDER_RULE_SPOOFED },
    { SS_SENDER_ALLOWED,  40.0, SS_VERDICT_SPAM, SS_VERDICT_SPAM, SS_SENDER_RULE_SPOOFED },
    { SS_SENDER_ALLOWED,  15.0, SS_VERDICT_HAM,  SS_VERDICT_SPAM, SS_SENDER_RULE_SPOOFED },
    { SS_SENDER_BLOCKED,  -5.0, SS_VERDICT_HAM,  SS_VERDICT_SPAM, SS_SENDER_RULE_BLOCK },
    { SS_SENDER_BLOCKED,  20.0, SS_VERDICT_SPAM, SS_VERDICT_SPAM, SS_SENDER_RULE_BLOCK },
    { SS_SENDER_ALLOWED,  6.0,  SS_VERDICT_UNCERTAIN, SS_VERDICT_HAM,  SS_SENDER_RULE_ALLOW },
    { SS_SENDER_BLOCKED,  4.0,  SS_VERDICT_UNCERTAIN, SS_VERDICT_SPAM, SS_SENDER_RULE_BLOCK },
    { SS_SENDER_UNLISTED, 4.0,  SS_VERDICT_UNCERTAIN, SS_VERDICT_UNCERTAIN, NULL },
    /* Only scan verdicts are touched. */
    { SS_SENDER_BLOCKED,  0.0,  SS_VERDICT_SKIPPED,   SS_VERDICT_SKIPPED,   NULL },
    { SS_SENDER_ALLOWED,  0.0,  SS_VERDICT_UNSCANNED, SS_VERDICT_UNSCANNED, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *rule = "unset";
      SsVerdictKind out = ss_sender_lists_rule (cases[i].status, cases[i].score,
                                                SS_SENDER_LISTS_CERTAIN_SPAM, cases[i].in,
                                                &rule);

      g_assert_cmpint (out, ==, cases[i].out);
      g_assert_cmpstr (rule, ==, cases[i].rule);
    }
  g_assert_cmpfloat (SS_SENDER_LISTS_CERTAIN_SPAM, ==, 15.0);
}

static void
test_addresses (void)
{
  g_auto(GStrv) all = NULL;
  char *a;

  a = ss_sender_address ("Ann Example <Ann@Example.ORG>");
  g_assert_cmpstr (a, ==, "ann@example.org");
  g_free (a);
  a = ss_sender_address ("bob@example.net");
  g_assert_cmpstr (a, ==, "bob@example.net");
  g_free (a);
  a = ss_sender_address ("\"Doe, John\" <john@example.com>");
  g_assert_cmpstr (a, ==, "john@example.com");
  g_free (a);
  g_assert_null (ss_sender_address (""));
  g_assert_null (ss_sender_address (NULL));
  g_assert_null (ss_sender_address ("undisclosed-recipients:;"));

  all = ss_sender_addresses ("A <a@x.org>, b@Y.org, team: c@z.org, d@z.org;");
  g_assert_cmpuint (g_strv_length (all), ==, 4);
  g_assert_cmpstr (all[0], ==, "a@x.org");
  g_assert_cmpstr (all[1], ==, "b@y.org");
  g_assert_cmpstr (all[2], ==, "c@z.org");
  g_assert_cmpstr (all[3], ==, "d@z.org");
}

static void
test_lookup (void)
{
  g_autoptr(SsSenderLists) lists = ss_sender_lists_open (NULL, NULL);
  g_autoptr(GError) error = NULL;
  SsSenderStatus previous = 42;

  g_assert_cmpint (ss_sender_lists_lookup (lists, "a@x.org"), ==, SS_SENDER_UNLISTED);
  g_assert_true (ss_sender_lists_add (lists, "A@X.org", SS_SENDER_ALLOWED, &previous, &error));
  g_assert_no_error (error);
  g_assert_cmpint (previous, ==, SS_SENDER_UNLISTED);
  g_assert_cmpint (ss_sender_lists_lookup (lists, "a@x.ORG"), ==, SS_SENDER_ALLOWED);
  g_assert_cmpint (ss_sender_lists_lookup (lists, "b@x.org"), ==, SS_SENDER_UNLISTED);

  /* Blocking moves it to the other list. */
  g_assert_true (ss_sender_lists_add (lists, "a@x.org", SS_SENDER_BLOCKED, &previous, &error));
  g_assert_cmpint (previous, ==, SS_SENDER_ALLOWED);
  g_assert_cmpint (ss_sender_lists_lookup (lists, "a@x.org"), ==, SS_SENDER_BLOCKED);

  /* Domains; an exact address beats its domain. */
  g_assert_true (ss_sender_lists_add (lists, "@shop.example", SS_SENDER_ALLOWED, NULL, &error));
  g_assert_true (ss_sender_lists_add (lists, "spam@shop.example", SS_SENDER_BLOCKED, NULL,
                                      &error));
  g_assert_cmpint (ss_sender_lists_lookup (lists, "news@Shop.Example"), ==, SS_SENDER_ALLOWED);
  g_assert_cmpint (ss_sender_lists_lookup (lists, "spam@shop.example"), ==, SS_SENDER_BLOCKED);
  g_assert_cmpint (ss_sender_lists_lookup (lists, "x@sub.shop.example"), ==,
                   SS_SENDER_UNLISTED);

  /* Settings entries: separated by commas, semicolons or spaces; block wins between
   * equals; they are not saved. */
  ss_sender_lists_set_settings (lists, "friend@a.org, @family.org ; both@a.org",
                                "both@a.org @bad.example");
  g_assert_cmpint (ss_sender_lists_lookup (lists, "Friend@A.org"), ==, SS_SENDER_ALLOWED);
  g_assert_cmpint (ss_sender_lists_lookup (lists, "mum@family.org"), ==, SS_SENDER_ALLOWED);
  g_assert_cmpint (ss_sender_lists_lookup (lists, "both@a.org"), ==, SS_SENDER_BLOCKED);
  g_assert_cmpint (ss_sender_lists_lookup (lists, "x@bad.example"), ==, SS_SENDER_BLOCKED);
  {
    g_auto(GStrv) allow = ss_sender_lists_dup_saved (lists, SS_SENDER_ALLOWED);
    g_assert_cmpuint (g_strv_length (allow), ==, 1);
    g_assert_cmpstr (allow[0], ==, "@shop.example");
  }
  ss_sender_lists_set_settings (lists, NULL, NULL);
  g_assert_cmpint (ss_sender_lists_lookup (lists, "friend@a.org"), ==, SS_SENDER_UNLISTED);

  g_assert_false (ss_sender_lists_add (lists, "not an address", SS_SENDER_ALLOWED, NULL,
                                       &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static char *
scratch_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("ss-lists-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

static guint
count_corrupt (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (d)) != NULL)
    n += strstr (name, ".corrupt-") != NULL;
  return n;
}

static void
test_persistence (void)
{
  g_autofree char *dir = scratch_dir ();
  g_autofree char *journal = g_build_filename (dir, "state.sqlite", NULL);
  g_autofree char *path = ss_sender_lists_path_for (journal, "user@imap.example");
  g_autofree char *other = ss_sender_lists_path_for (journal, "other@imap.example");
  g_autoptr(GError) error = NULL;
  guint32 uidvalidity = 1, last = 1;

  g_assert_true (g_str_has_prefix (path, dir));
  g_assert_cmpstr (path, !=, other);
  g_assert_null (ss_sender_lists_path_for (NULL, "user@imap.example"));

  {
    g_autoptr(SsSenderLists) lists = ss_sender_lists_open (path, &error);
    const char *sent[] = { "Friend@Example.org", "blocked@example.org", NULL };

    g_assert_no_error (error);
    ss_sender_lists_get_sent_mark (lists, &uidvalidity, &last);
    g_assert_cmpuint (uidvalidity, ==, 0);
    g_assert_cmpuint (last, ==, 0);
    g_assert_true (ss_sender_lists_add (lists, "a;b@x.org", SS_SENDER_ALLOWED, NULL, &error));
    g_assert_true (ss_sender_lists_add (lists, "blocked@example.org", SS_SENDER_BLOCKED, NULL,
                                        &error));
    /* People written to are allowed, but a block the user chose stays. */
    g_assert_true (ss_sender_lists_add_sent (lists, (char **) sent, 77, 12, &error));
    g_assert_no_error (error);
    ss_sender_lists_set_settings (lists, "setting@example.org", NULL);
  }
  {
    g_autoptr(SsSenderLists) lists = ss_sender_lists_open (path, &error);

    g_assert_no_error (error);
    g_assert_cmpint (ss_sender_lists_lookup (lists, "a;b@x.org"), ==, SS_SENDER_ALLOWED);
    g_assert_cmpint (ss_sender_lists_lookup (lists, "friend@example.org"), ==,
                     SS_SENDER_ALLOWED);
    g_assert_cmpint (ss_sender_lists_lookup (lists, "blocked@example.org"), ==,
                     SS_SENDER_BLOCKED);
    g_assert_cmpint (ss_sender_lists_lookup (lists, "setting@example.org"), ==,
                     SS_SENDER_UNLISTED);
    ss_sender_lists_get_sent_mark (lists, &uidvalidity, &last);
    g_assert_cmpuint (uidvalidity, ==, 77);
    g_assert_cmpuint (last, ==, 12);
  }

  /* A crash mid-save (killed while writing) leaves the last good file: the file is only
   * ever replaced by rename. */
  for (guint round = 0; round < 20; round++)
    {
      pid_t pid = fork ();

      if (pid == 0)
        {
          SsSenderLists *lists = ss_sender_lists_open (path, NULL);
          for (guint i = 0; ; i++)
            {
              g_autofree char *addr = g_strdup_printf ("n%u@crash.example", i);
              ss_sender_lists_add (lists, addr, SS_SENDER_BLOCKED, NULL, NULL);
            }
        }
      g_usleep (2000 + g_random_int_range (0, 20000));
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      {
        g_autoptr(SsSenderLists) lists = ss_sender_lists_open (path, &error);

        g_assert_no_error (error);
        g_assert_cmpint (ss_sender_lists_lookup (lists, "friend@example.org"), ==,
                         SS_SENDER_ALLOWED);
        g_assert_cmpint (count_corrupt (dir), ==, 0);
      }
    }

  /* A file that is not a key file is moved aside; the lists start empty. */
  g_assert_true (g_file_set_contents (path, "\x01garbage[[[\n=", -1, NULL));
  {
    g_autoptr(SsSenderLists) lists = ss_sender_lists_open (path, &error);
    g_assert_no_error (error);
    g_assert_cmpint (ss_sender_lists_lookup (lists, "friend@example.org"), ==,
                     SS_SENDER_UNLISTED);
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    g_assert_cmpint (count_corrupt (dir), ==, 1);
  }
  remove_dir (dir);
}

/* Two objects on one file (the engine and the app's editor): each sees the other's saves,
 * and neither undoes the other's change when it saves its own. */
static void
test_two_writers (void)
{
  g_autofree char *dir = scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "lists.ini", NULL);
  g_autoptr(SsSenderLists) engine = ss_sender_lists_open (path, NULL);
  g_autoptr(SsSenderLists) editor = ss_sender_lists_open (path, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (ss_sender_lists_add (engine, "a@x.org", SS_SENDER_ALLOWED, NULL, &error));
  g_assert_cmpint (ss_sender_lists_lookup (editor, "a@x.org"), ==, SS_SENDER_ALLOWED);
  g_assert_true (ss_sender_lists_restore (editor, "a@x.org", SS_SENDER_UNLISTED, &error));
  g_assert_true (ss_sender_lists_add (editor, "b@x.org", SS_SENDER_BLOCKED, NULL, &error));
  g_assert_true (ss_sender_lists_add (engine, "c@x.org", SS_SENDER_ALLOWED, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ss_sender_lists_lookup (engine, "a@x.org"), ==, SS_SENDER_UNLISTED);
  g_assert_cmpint (ss_sender_lists_lookup (engine, "b@x.org"), ==, SS_SENDER_BLOCKED);
  g_assert_cmpint (ss_sender_lists_lookup (editor, "c@x.org"), ==, SS_SENDER_ALLOWED);
  g_assert_cmpint (ss_sender_lists_lookup (editor, "a@x.org"), ==, SS_SENDER_UNLISTED);
  remove_dir (dir);
}

static void
test_undo_mark (void)
{
  g_autoptr(SsSenderLists) lists = ss_sender_lists_open (NULL, NULL);
  g_autoptr(GError) error = NULL;
  SsSenderStatus previous;

  /* "Not spam" allowed an unlisted sender; the message went to INBOX UID 9. */
  g_assert_true (ss_sender_lists_add (lists, "a@x.org", SS_SENDER_ALLOWED, &previous, &error));
  ss_sender_lists_note_mark (lists, "INBOX", 5, 9, "a@x.org", SS_SENDER_ALLOWED, previous);
  /* A mark of some other message, or in the same direction, undoes nothing. */
  g_assert_false (ss_sender_lists_undo_mark (lists, "INBOX", 5, 8, SS_SENDER_BLOCKED, &error));
  g_assert_false (ss_sender_lists_undo_mark (lists, "INBOX", 5, 9, SS_SENDER_ALLOWED, &error));
  g_assert_false (ss_sender_lists_undo_mark (lists, "INBOX", 6, 9, SS_SENDER_BLOCKED, &error));
  /* Undo: marked back as spam where it went. */
  g_assert_true (ss_sender_lists_undo_mark (lists, "INBOX", 5, 9, SS_SENDER_BLOCKED, &error));
  g_assert_no_error (error);
  g_assert_cmpint (ss_sender_lists_lookup (lists, "a@x.org"), ==, SS_SENDER_UNLISTED);
  /* Once only. */
  g_assert_false (ss_sender_lists_undo_mark (lists, "INBOX", 5, 9, SS_SENDER_BLOCKED, &error));

  /* "Spam" on an allowed sender, then Undo: allowed again. */
  g_assert_true (ss_sender_lists_add (lists, "b@x.org", SS_SENDER_ALLOWED, NULL, &error));
  g_assert_true (ss_sender_lists_add (lists, "b@x.org", SS_SENDER_BLOCKED, &previous, &error));
  ss_sender_lists_note_mark (lists, "Spam", 3, 4, "b@x.org", SS_SENDER_BLOCKED, previous);
  g_assert_true (ss_sender_lists_undo_mark (lists, "Spam", 3, 4, SS_SENDER_ALLOWED, &error));
  g_assert_cmpint (ss_sender_lists_lookup (lists, "b@x.org"), ==, SS_SENDER_ALLOWED);
}

/* Marks are in the file: Undo after a restart (a new SsSenderLists on the same file, e.g. the
 * next process) restores the list; folder names with odd characters survive; entries that
 * do not parse are dropped; only the last 64 are kept. */
static void
test_undo_mark_after_restart (void)
{
  g_autofree char *dir = scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "lists.ini", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_auto(GStrv) entries = NULL;
  SsSenderStatus previous;

  {
    g_autoptr(SsSenderLists) before = ss_sender_lists_open (path, &error);

    g_assert_no_error (error);
    g_assert_true (ss_sender_lists_add (before, "a@x.org", SS_SENDER_BLOCKED, &previous,
                                        &error));
    ss_sender_lists_note_mark (before, "[Gmail]/Spam;\tx", 7, 3, "a@x.org",
                               SS_SENDER_BLOCKED, previous);
  }
  {
    g_autoptr(SsSenderLists) after = ss_sender_lists_open (path, &error);

    g_assert_no_error (error);
    g_assert_cmpint (ss_sender_lists_lookup (after, "a@x.org"), ==, SS_SENDER_BLOCKED);
    g_assert_true (ss_sender_lists_undo_mark (after, "[Gmail]/Spam;\tx", 7, 3,
                                              SS_SENDER_ALLOWED, &error));
    g_assert_no_error (error);
    g_assert_cmpint (ss_sender_lists_lookup (after, "a@x.org"), ==, SS_SENDER_UNLISTED);
  }
  {
    g_autoptr(SsSenderLists) again = ss_sender_lists_open (path, &error);

    /* once only, also across restarts */
    g_assert_false (ss_sender_lists_undo_mark (again, "[Gmail]/Spam;\tx", 7, 3,
                                               SS_SENDER_ALLOWED, &error));
    g_assert_no_error (error);
    for (guint i = 1; i <= 70; i++)
      {
        g_autofree char *who = g_strdup_printf ("p%u@x.org", i);

        g_assert_true (ss_sender_lists_add (again, who, SS_SENDER_ALLOWED, &previous, &error));
        ss_sender_lists_note_mark (again, "INBOX", 1, i, who, SS_SENDER_ALLOWED, previous);
      }
  }
  g_assert_true (g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &error));
  entries = g_key_file_get_string_list (file, "marks", "marks", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (entries), ==, 64);   /* newest first: p70 .. p7 */
  g_assert_nonnull (strstr (entries[0], "\tp70@x.org\t"));
  g_assert_nonnull (strstr (entries[63], "\tp7@x.org\t"));
  {
    /* hand-broken entries are dropped, the others still undo */
    const char *mixed[] = { "1\t2\t9\t0\ta@x.org\tINBOX", "x\t2\t1\t0\ta@x.org\tINBOX",
                            "1\t2\t1\t0\tnot-an-address\tINBOX", "1\t2\t1", entries[0] };
    g_autofree char *data = NULL;
    g_autoptr(SsSenderLists) edited = NULL;

    g_key_file_set_string_list (file, "marks", "marks", mixed, G_N_ELEMENTS (mixed));
    data = g_key_file_to_data (file, NULL, NULL);
    g_assert_true (g_file_set_contents (path, data, -1, &error));
    edited = ss_sender_lists_open (path, &error);
    g_assert_no_error (error);
    g_assert_true (ss_sender_lists_undo_mark (edited, "INBOX", 1, 70, SS_SENDER_BLOCKED,
                                              &error));
    g_assert_cmpint (ss_sender_lists_lookup (edited, "p70@x.org"), ==, SS_SENDER_UNLISTED);
    /* no longer in the file: nothing to undo */
    g_assert_false (ss_sender_lists_undo_mark (edited, "INBOX", 1, 69, SS_SENDER_BLOCKED,
                                               &error));
  }
  remove_dir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ss_message_info_init ();
  g_test_add_func ("/sender-lists/rule", test_rule);
  g_test_add_func ("/sender-lists/addresses", test_addresses);
  g_test_add_func ("/sender-lists/lookup", test_lookup);
  g_test_add_func ("/sender-lists/persistence", test_persistence);
  g_test_add_func ("/sender-lists/two-writers", test_two_writers);
  g_test_add_func ("/sender-lists/undo-mark", test_undo_mark);
  g_test_add_func ("/sender-lists/undo-mark-after-restart", test_undo_mark_after_restart);
  return g_test_run ();
}
