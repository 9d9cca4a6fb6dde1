/* test-learnloop.c: the personal learner decides with spamd, through spamsieve --headless
 * --once --json against real dovecot. spamd is the harness's fake one answering a fixed
 * score (5.5 / 5.0: spam by half a point), so what changes a verdict is the learner alone.
 *
 * A correction through the learning folder makes the next near-identical message land in
 * INBOX (it went to Spam before); the model is written per account under $XDG_DATA_HOME and
 * reloaded by the next run; the uncertain band routes with the $Uncertain keyword or to a
 * folder; --json carries "combined" and the destination key, checked against dovecot's own
 * dovecot-uidlist. */
#define G_LOG_DOMAIN "test-learnloop"

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ss-learner.h"
#include "ss-session.h"
#include "ss-message-info.h"
#include "ss-test-headless.h"
#include "ss-test-servers.h"
#include "ss-test-utils.h"

#define FIXED_REPLY "SPAMD/1.1 0 EX_OK\r\nContent-length: 6\r\nSpam: True ; 5.5 / 5.0\r\n" \
                    "\r\nRULE_A"

typedef struct
{
  SsTestBed        bed;        /* first (ss_test_bed_setup) */
  SsTestFakeSpamd *spamd;
  char            *config_path;
  SsTestRun        run;        /* the last run's result */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GBytes) reply = g_bytes_new_static (FIXED_REPLY, strlen (FIXED_REPLY));
  g_autoptr(GError) error = NULL;

  ss_test_bed_setup (&f->bed, data);
  f->spamd = ss_test_fake_spamd_new_full (SS_TEST_FAKE_SPAMD_SCORE, 0, reply, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  ss_test_run_clear (&f->run);
  g_clear_pointer (&f->spamd, ss_test_fake_spamd_free);
  g_free (f->config_path);
  ss_test_bed_clear (&f->bed);
}

static void
write_config (Fixture    *f,
              const char *extra)
{
  g_free (f->config_path);
  f->config_path = ss_test_write_config (&f->bed, NULL, ss_test_fake_spamd_get_address (f->spamd),
                                         2, 30, extra);
}

static void
run_spamsieve (Fixture *f)
{
  const char * const args[] = { "--once", "--json", NULL };

  ss_test_run_headless (&f->run, f->bed.dir, f->config_path, args);
}

static JsonObject *
record_for_subject (Fixture    *f,
                    const char *subject)
{
  for (guint i = 0; i < f->run.records->len; i++)
    {
      JsonObject *o = g_ptr_array_index (f->run.records, i);
      if (g_strcmp0 (json_object_get_string_member (o, "subject"), subject) == 0)
        return o;
    }
  g_assert_not_reached ();
}

/* A shop newsletter of the same sender; n makes Subject and Message-ID differ. */
static GBytes *
newsletter (guint n)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "From: Gardening Weekly <news@gardening.example>\r\n"
                          "To: tester@example.org\r\n"
                          "Subject: Gardening weekly %u\r\n"
                          "Message-ID: <letter-%u@gardening.example>\r\n"
                          "Date: Mon, 1 Dec 2025 10:%02u:00 +0000\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=utf-8\r\n\r\n", n, n, n % 60);
  for (guint i = 0; i < 12; i++)
    g_string_append_printf (s, "This week in the garden: tulip bulbs, pruning roses, compost "
                            "tips and our member offer on seed trays (item %u).\r\n", i);
  g_string_append (s, "Unsubscribe: https://gardening.example/unsubscribe\r\n");
  return g_string_free_to_bytes (s);
}

static const char * const all_folders[] = { "Unfiltered", "INBOX", "Spam", "Uncertain",
                                            "Spam/False Positives", "Spam/False Negatives",
                                            NULL };

static const char *
locate (Fixture              *f,
        GBytes               *message,
        SsTestStoredMessage **found)
{
  return ss_test_locate (f->bed.dovecot, message, all_folders, found);
}

static char *
model_path (Fixture *f)
{
  g_autofree char *dir = g_build_filename (f->bed.dir, "data", "spamsieve", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  char *found = NULL;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "learner-") && g_str_has_suffix (name, ".model"))
      {
        g_assert_null (found);   /* one account, one model */
        found = g_build_filename (dir, name, NULL);
      }
  return found;
}

/* The model file's counts (none learned when there is no file yet). */
static void
assert_learned (Fixture *f,
                guint    n_ham,
                guint    n_spam)
{
  g_autofree char *path = model_path (f);
  g_autoptr(SsLearner) model = NULL;
  g_autoptr(GError) error = NULL;

  if (path == NULL)
    {
      g_assert_cmpuint (n_ham + n_spam, ==, 0);
      return;
    }
  model = ss_learner_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ss_learner_get_n_ham (model), ==, n_ham);
  g_assert_cmpuint (ss_learner_get_n_spam (model), ==, n_spam);
}

/* The user drags message from Spam to the learning folder, as another
 * mail client would: a copy there, gone from Spam. */
static void
drag_to_false_positives (Fixture *f,
                         GBytes  *message)
{
  ss_test_drag (f->bed.dovecot, "Spam", message, "Spam/False Positives");
}

/* ---------------------------------------------------------------------------------------- */

/* Spam by half a point; corrected as ham once through the learning folder; the next letter
 * of the same sender goes to INBOX. The model is saved by the run that learned and loaded
 * by the next (each run is its own process). */
static void
test_correction_decides (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GBytes) first = newsletter (1);
  g_autoptr(GBytes) second = newsletter (2);
  g_autofree char *path = NULL;
  JsonObject *o;

  write_config (f, "[filter]\nuncertain-band=0\n");
  ss_test_add (f->bed.dovecot, "Unfiltered", first, "", 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, first, NULL), ==, "Spam");
  o = record_for_subject (f, "Gardening weekly 1");
  g_assert_cmpstr (json_object_get_string_member (o, "verdict"), ==, "spam");
  /* nothing learned yet: the learner has no opinion, spamd's half point decides */
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "combined"),
                                  1 / (1 + exp (-0.5)), 1e-3);
  g_assert_cmpfloat (json_object_get_double_member (o, "learner"), ==, 0);
  path = model_path (f);
  g_assert_null (path);            /* nothing learned, nothing written */

  drag_to_false_positives (f, first);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (record_for_subject (f, "Gardening weekly 1"),
                                                  "verdict"), ==, "learned-ham");
  g_assert_nonnull (model_path (f));
  assert_learned (f, 1, 0);

  /* The next letter: same fixed spamd score, now INBOX. */
  ss_test_add (f->bed.dovecot, "Unfiltered", second, "", 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, second, NULL), ==, "INBOX");
  o = record_for_subject (f, "Gardening weekly 2");
  g_assert_cmpstr (json_object_get_string_member (o, "verdict"), ==, "ham");
  g_assert_cmpfloat (json_object_get_double_member (o, "combined"), <, 0.5);
  g_assert_cmpfloat (json_object_get_double_member (o, "score"), ==, 5.5);
  /* the learner's own say, apart: it is what pulled the letter below the line */
  g_assert_cmpfloat (json_object_get_double_member (o, "learner"), <, -0.5);
}

static gboolean
json_array_has_string (JsonArray  *array,
                       const char *value)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_strcmp0 (json_array_get_string_element (array, i), value) == 0)
      return TRUE;
  return FALSE;
}

/* learner=false: the same correction teaches spamd (and the allow list) only: the next
 * letter's fused value is spamd's alone, and no model is written. */
static void
test_learner_off (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GBytes) first = newsletter (1);
  g_autoptr(GBytes) second = newsletter (2);
  g_autofree char *path = NULL;
  JsonObject *o;

  write_config (f, "[filter]\nuncertain-band=0\nlearner=false\n");
  ss_test_add (f->bed.dovecot, "Unfiltered", first, "", 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, first, NULL), ==, "Spam");
  drag_to_false_positives (f, first);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (record_for_subject (f, "Gardening weekly 1"),
                                                  "verdict"), ==, "learned-ham");
  ss_test_add (f->bed.dovecot, "Unfiltered", second, "", 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  /* INBOX only because the correction allowed the sender; the fused value is spamd's */
  g_assert_cmpstr (locate (f, second, NULL), ==, "INBOX");
  o = record_for_subject (f, "Gardening weekly 2");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "combined"),
                                  1 / (1 + exp (-0.5)), 1e-3);
  g_assert_true (json_array_has_string (json_object_get_array_member (o, "rules"), "ALLOWLIST"));
  g_assert_true (json_object_get_null_member (o, "learner"));
  path = model_path (f);
  g_assert_null (path);
}

/* Implicit confirmation (confirm-minutes=0: at the next cycle): a verdict left standing is
 * learned as judged, by the learner and by spamd's Bayes; a corrected one is learned only as
 * corrected. */
static void
test_confirm (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GBytes) first = newsletter (41);
  g_autoptr(GBytes) second = newsletter (42);
  g_autofree char *path = NULL;
  guint spam0, ham0, spam1, ham1;

  write_config (f, "[filter]\nuncertain-band=0\nconfirm-minutes=0\n");
  ss_test_add (f->bed.dovecot, "Unfiltered", first, "", 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, first, NULL), ==, "Spam");
  path = model_path (f);
  g_assert_null (path);             /* judged, not learned yet */

  ss_test_fake_spamd_get_n_tells (f->spamd, &spam0, &ham0);
  run_spamsieve (f);                /* nobody corrected it: learned as spam, spamd too */
  g_assert_cmpint (f->run.exit_status, ==, 0);
  ss_test_fake_spamd_get_n_tells (f->spamd, &spam1, &ham1);
  g_assert_cmpuint (spam1, ==, spam0 + 1);
  g_assert_cmpuint (ham1, ==, ham0);
  assert_learned (f, 0, 1);

  /* The next one is corrected before the cycle after its scan: learned as ham only. */
  ss_test_add (f->bed.dovecot, "Unfiltered", second, "", 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, second, NULL), ==, "Spam");
  drag_to_false_positives (f, second);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  ss_test_fake_spamd_get_n_tells (f->spamd, &spam0, &ham0);
  g_assert_cmpuint (spam0, ==, spam1);   /* not told as spam by the confirmation */
  g_assert_cmpuint (ham0, ==, ham1 + 1); /* the correction */
  assert_learned (f, 1, 1);
}

/* A spamd that refuses TELL (no --allow-tell): confirmation still teaches the learner, the
 * mail stays where it is, and the refusal is said once per run, not once per message. */
static void
test_confirm_refused (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GBytes) first = newsletter (43);
  g_autoptr(GBytes) second = newsletter (44);
  g_autoptr(GBytes) third = newsletter (45);
  const char *said = "SpamAssassin did not learn a confirmed message";
  const char *p;
  guint n_said = 0, n_spam, n_ham;

  ss_test_fake_spamd_set_refuse_tell (f->spamd, TRUE);
  write_config (f, "[filter]\nuncertain-band=0\nconfirm-minutes=0\n");
  ss_test_add (f->bed.dovecot, "Unfiltered", first, "", 0);
  ss_test_add (f->bed.dovecot, "Unfiltered", second, "", 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  run_spamsieve (f);                /* both confirmed: two TELLs refused */
  g_assert_cmpint (f->run.exit_status, ==, 0);
  assert_learned (f, 0, 2);
  for (p = f->run.err; (p = strstr (p, said)) != NULL; p += strlen (said))
    n_said++;
  g_assert_cmpuint (n_said, ==, 1);
  g_assert_cmpstr (locate (f, first, NULL), ==, "Spam");
  g_assert_cmpstr (locate (f, second, NULL), ==, "Spam");

  /* the cycle goes on: the next message is judged and confirmed too */
  ss_test_add (f->bed.dovecot, "Unfiltered", third, "", 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  assert_learned (f, 0, 3);
  g_assert_cmpstr (locate (f, third, NULL), ==, "Spam");
  ss_test_fake_spamd_get_n_tells (f->spamd, &n_spam, &n_ham);
  g_assert_cmpuint (n_spam + n_ham, ==, 0);
}

/* Reads INBOX's dovecot-uidlist: UIDVALIDITY, and the content of the message with uid. */
static GBytes *
stored_by_uid (Fixture *f,
               guint32  uid,
               guint32 *uidvalidity)
{
  g_autofree char *maildir = g_build_filename (ss_test_dovecot_get_dir (f->bed.dovecot),
                                               "Maildir", NULL);
  g_autofree char *list_path = g_build_filename (maildir, "dovecot-uidlist", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  const char *v;

  g_assert_true (g_file_get_contents (list_path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  v = strstr (lines[0], " V");
  g_assert_nonnull (v);
  *uidvalidity = strtoul (v + 2, NULL, 10);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');
      g_autofree char *base = NULL;

      if (strtoul (lines[i], NULL, 10) != uid || colon == NULL)
        continue;
      base = g_strdup (colon + 1);
      for (guint k = 0; k < 2; k++)
        {
          g_autofree char *dir = g_build_filename (maildir, k == 0 ? "cur" : "new", NULL);
          g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
          const char *name;

          while (d != NULL && (name = g_dir_read_name (d)) != NULL)
            if (g_str_has_prefix (name, base))
              {
                g_autofree char *file = g_build_filename (dir, name, NULL);
                char *content = NULL;
                gsize len = 0;

                g_assert_true (g_file_get_contents (file, &content, &len, NULL));
                return g_bytes_new_take (content, len);
              }
        }
    }
  return NULL;
}

/* Default band (45 points either side of 50 %): 0.62 is uncertain: INBOX with $Uncertain,
 * and --json says so, with a key that names the message where it now is. Left there
 * uncorrected, it is confirmed as ham at the next cycle (confirm-minutes=0). */
static void
test_uncertain_keyword (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GBytes) letter = newsletter (7);
  g_autoptr(SsTestStoredMessage) stored = NULL;
  g_autoptr(GBytes) by_uid = NULL;
  g_autofree char *key = NULL;
  guint32 uidvalidity = 0;
  JsonObject *o;

  write_config (f, "[filter]\nconfirm-minutes=0\n");
  ss_test_add (f->bed.dovecot, "Unfiltered", letter, "", 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, letter, &stored), ==, "INBOX");
  g_assert_true (ss_test_has_keyword (stored, "$Uncertain"));
  g_assert_false (ss_test_has_keyword (stored, "$Junk"));
  o = record_for_subject (f, "Gardening weekly 7");
  g_assert_cmpstr (json_object_get_string_member (o, "verdict"), ==, "uncertain");
  g_assert_cmpstr (json_object_get_string_member (o, "destination"), ==, "INBOX");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "combined"),
                                  1 / (1 + exp (-0.5)), 1e-3);

  /* The key: UIDVALIDITY:UID:FOLDER, as ss_verdict_dup_key(), and the same parts apart;
   * dovecot's own uid list says that uid in INBOX is this message. */
  g_assert_cmpint (json_object_get_int_member (o, "dest_uid"), >, 0);
  key = g_strdup_printf ("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ":INBOX",
                         json_object_get_int_member (o, "dest_uidvalidity"),
                         json_object_get_int_member (o, "dest_uid"));
  g_assert_cmpstr (json_object_get_string_member (o, "key"), ==, key);
  by_uid = stored_by_uid (f, json_object_get_int_member (o, "dest_uid"), &uidvalidity);
  g_assert_nonnull (by_uid);
  g_assert_cmpint (uidvalidity, ==, json_object_get_int_member (o, "dest_uidvalidity"));
  g_assert_true (g_bytes_equal (by_uid, letter));

  g_assert_null (model_path (f));   /* judged, not learned yet */
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  assert_learned (f, 1, 0);
}

/* In a folder of its own, uncertain mail waits for the user: not confirmed as anything. */
static void
test_uncertain_folder (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GBytes) letter = newsletter (8);
  g_autoptr(SsTestStoredMessage) stored = NULL;
  JsonObject *o;

  write_config (f, "[filter]\nuncertain-action=folder\nuncertain-folder=Uncertain\n"
                   "confirm-minutes=0\n");
  ss_test_add (f->bed.dovecot, "Unfiltered", letter, "", 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, letter, &stored), ==, "Uncertain");
  o = record_for_subject (f, "Gardening weekly 8");
  g_assert_cmpstr (json_object_get_string_member (o, "verdict"), ==, "uncertain");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (o, "key"), ":Uncertain"));

  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  assert_learned (f, 0, 0);
}

/* A stricter threshold (70 %) with the band off: 0.62 is ham; at 60 % it is spam. */
static void
test_threshold (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GBytes) a = newsletter (11);
  g_autoptr(GBytes) b = newsletter (12);

  write_config (f, "[filter]\nuncertain-band=0\nthreshold=70\n");
  ss_test_add (f->bed.dovecot, "Unfiltered", a, "", 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, a, NULL), ==, "INBOX");
  write_config (f, "[filter]\nuncertain-band=0\nthreshold=60\n");
  ss_test_add (f->bed.dovecot, "Unfiltered", b, "", 0);
  run_spamsieve (f);
  g_assert_cmpint (f->run.exit_status, ==, 0);
  g_assert_cmpstr (locate (f, b, NULL), ==, "Spam");
  /* "combined" is a number with 4 decimals */
  g_assert_true (strstr (f->run.out, "\"combined\":0.62") != NULL);
}

static const SsRecord *
session_record (SsTestSession *t,
                const char    *subject)
{
  for (guint i = t->records->len; i-- > 0;)
    {
      const SsRecord *r = g_ptr_array_index (t->records, i);
      if (g_strcmp0 (r->subject, subject) == 0)
        return r;
    }
  return NULL;
}

/* The settings of a live session on the bed and the fake spamd, plus extra (may be NULL). */
static SsConfig *
session_config (Fixture    *f,
                const char *extra)
{
  g_autofree char *account = ss_test_dovecot_account (f->bed.dovecot, NULL);
  g_autofree char *text = ss_test_config_text (account, ss_test_fake_spamd_get_address (f->spamd),
                                               2, 30, extra);
  g_autoptr(GError) error = NULL;
  SsConfig *config = ss_config_load_data (text, strlen (text), &error);

  g_assert_no_error (error);
  return config;
}

/* letter into Unfiltered, then run started with config: its record (by subject) once
 * filtered. */
static const SsRecord *
session_filter (Fixture        *f,
                SsTestSession  *run,
                const SsConfig *config,
                GBytes         *letter,
                const char     *subject)
{
  const SsRecord *r;

  ss_test_session_init (run, f->bed.dir);
  ss_test_add (f->bed.dovecot, "Unfiltered", letter, "", 0);
  ss_test_session_start (run, config, "secret");
  ss_test_session_wait_records (run, 1, 60000);
  r = session_record (run, subject);
  g_assert_nonnull (r);
  return r;
}

/* The live session (in-process, as the app runs it): "Not spam" clicked on a verdict row
 * teaches the learner at once: the sender's next letter goes to INBOX; the model is saved
 * (under this test program's own $XDG_DATA_HOME) by the end of the cycle. */
static void
test_session_mark (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GBytes) first = newsletter (21);
  g_autoptr(GBytes) second = newsletter (22);
  g_autoptr(SsConfig) config = session_config (f, "[filter]\nuncertain-band=0\n");
  g_autoptr(SsRecord) marked = NULL;
  g_autoptr(SsLearner) model = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  g_autofree char *who = NULL;
  g_autofree char *path = NULL;
  const SsRecord *r;
  SsTestSession run = { 0 };

  server = ss_config_dup_server (config);
  who = g_strdup_printf ("%s@%s", config->user, server);
  path = ss_learner_default_path (who);
  g_assert_true (g_str_has_prefix (path, g_get_user_data_dir ()));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  r = session_filter (f, &run, config, first, "Gardening weekly 21");
  g_assert_cmpint (r->verdict, ==, SS_VERDICT_SPAM);
  g_assert_cmpstr (locate (f, first, NULL), ==, "Spam");

  marked = ss_test_session_mark_record (&run, r, FALSE);
  g_assert_cmpint (marked->verdict, ==, SS_VERDICT_LEARNED_HAM);
  g_assert_cmpstr (locate (f, first, NULL), ==, "INBOX");

  ss_test_add (f->bed.dovecot, "Unfiltered", second, "", 0);
  ss_test_session_wait_records (&run, run.records->len + 1, 60000);
  r = session_record (&run, "Gardening weekly 22");
  g_assert_nonnull (r);
  g_assert_cmpint (r->verdict, ==, SS_VERDICT_HAM);
  g_assert_cmpfloat (r->combined, <, 0.5);
  g_assert_cmpstr (locate (f, second, NULL), ==, "INBOX");
  ss_test_session_stop (&run, 60000);
  ss_test_session_clear (&run);

  model = ss_learner_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ss_learner_get_n_ham (model), ==, 1);
}

/* An uncertain letter (default band) marked as spam from the window: to Spam with $Junk,
 * its $Uncertain gone. */
static void
test_session_mark_uncertain (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GBytes) letter = newsletter (31);
  g_autoptr(SsConfig) config = session_config (f, NULL);
  g_autoptr(SsRecord) marked = NULL;
  g_autoptr(SsTestStoredMessage) stored = NULL;
  const SsRecord *r;
  SsTestSession run = { 0 };

  r = session_filter (f, &run, config, letter, "Gardening weekly 31");
  g_assert_cmpint (r->verdict, ==, SS_VERDICT_UNCERTAIN);
  g_assert_cmpstr (locate (f, letter, &stored), ==, "INBOX");
  g_assert_true (ss_test_has_keyword (stored, "$Uncertain"));
  g_clear_pointer (&stored, ss_test_stored_message_free);

  marked = ss_test_session_mark_record (&run, r, TRUE);
  g_assert_cmpint (marked->verdict, ==, SS_VERDICT_LEARNED_SPAM);
  g_assert_cmpstr (locate (f, letter, &stored), ==, "Spam");
  g_assert_true (ss_test_has_keyword (stored, "$Junk"));
  g_assert_false (ss_test_has_keyword (stored, "$Uncertain"));
  ss_test_session_stop (&run, 60000);
  ss_test_session_clear (&run);
}

static const SsTestCase cases[] = {
  SS_TEST (session_mark),
  SS_TEST (session_mark_uncertain),
  SS_TEST (correction_decides),
  SS_TEST (learner_off),
  SS_TEST (confirm),
  SS_TEST (confirm_refused),
  SS_TEST (uncertain_keyword),
  SS_TEST (uncertain_folder),
  SS_TEST (threshold),
};

SS_TEST_SUITE_MAIN ("/spamsieve/learnloop/", Fixture, fixture_setup, fixture_teardown,
                    TRUE, ss_message_info_init)
