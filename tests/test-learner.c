/* test-learner.c: the personal learner on its own: it separates the sample corpus after
 * learning half of it, its model file round-trips exactly, an unusable file (truncated,
 * corrupt, foreign) is refused, and a crash mid-save leaves the last good model. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "ss-learner.h"
#include "ss-test-servers.h"

#define TRAIN_PASSES 2

typedef struct
{
  char     *name;
  GBytes   *data;
  gboolean  is_spam;
} Sample;

static void
sample_free (gpointer data)
{
  Sample *s = data;

  g_free (s->name);
  g_bytes_unref (s->data);
  g_free (s);
}

static int
compare_sample (gconstpointer a,
                gconstpointer b)
{
  return strcmp ((*(Sample **) a)->name, (*(Sample **) b)->name);
}

/* tests/data/corpus, sorted by name: ham-001 .. ham-024, spam-001 .. spam-012 */
static GPtrArray *
load_corpus (void)
{
  g_autofree char *dir = g_build_filename (SS_TEST_DATA, "corpus", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) d = g_dir_open (dir, 0, &error);
  GPtrArray *samples = g_ptr_array_new_with_free_func (sample_free);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      Sample *s = g_new0 (Sample, 1);
      char *contents;
      gsize len;

      g_assert_true (g_file_get_contents (path, &contents, &len, &error));
      s->name = g_strdup (name);
      s->data = g_bytes_new_take (contents, len);
      s->is_spam = g_str_has_prefix (name, "spam-");
      g_ptr_array_add (samples, s);
    }
  g_ptr_array_sort (samples, compare_sample);
  g_assert_cmpuint (samples->len, >=, 30);
  return samples;
}

static double
score (SsLearner *learner,
       Sample    *s)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (s->data, &len);

  return ss_learner_score (learner, data, len);
}

static void
learn (SsLearner *learner,
       Sample    *s)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (s->data, &len);

  ss_learner_learn (learner, data, len, s->is_spam);
}

/* A learner taught the even-numbered half of the corpus (index parity), twice over. */
static SsLearner *
trained_learner (GPtrArray *samples)
{
  SsLearner *learner = ss_learner_new ();

  for (guint pass = 0; pass < TRAIN_PASSES; pass++)
    for (guint i = 0; i < samples->len; i += 2)
      learn (learner, g_ptr_array_index (samples, i));
  return learner;
}

/* Taught one half, the learner ranks and classifies the other half: few (ham, spam) pairs
 * in the wrong order, most messages on the right side of 0. With 12 ham + 6 spam learned it
 * gets 11/12 ham and 3/6 spam right, and 3 of 72 pairs wrong. */
static void
test_separates (void)
{
  g_autoptr(GPtrArray) samples = load_corpus ();
  g_autoptr(SsLearner) learner = trained_learner (samples);
  g_autoptr(GArray) ham = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) spam = g_array_new (FALSE, FALSE, sizeof (double));
  guint right = 0, pairs_wrong = 0;

  g_assert_cmpuint (ss_learner_get_n_ham (learner) + ss_learner_get_n_spam (learner), ==,
                    TRAIN_PASSES * ((samples->len + 1) / 2));
  for (guint i = 1; i < samples->len; i += 2)
    {
      Sample *s = g_ptr_array_index (samples, i);
      double m = score (learner, s);

      g_array_append_val (s->is_spam ? spam : ham, m);
      right += s->is_spam ? m > 0 : m <= 0;
    }
  for (guint i = 0; i < ham->len; i++)
    for (guint j = 0; j < spam->len; j++)
      pairs_wrong += g_array_index (ham, double, i) >= g_array_index (spam, double, j);
  g_test_message ("held-out half: %u of %u right, %u of %u (ham, spam) pairs in the wrong "
                  "order", right, ham->len + spam->len, pairs_wrong, ham->len * spam->len);
  g_assert_cmpuint (right, >=, (ham->len + spam->len) * 3 / 4);
  g_assert_cmpuint (pairs_wrong, <=, ham->len * spam->len / 10);
}

/* Every correction moves the next verdict on that message towards its label at once. */
static void
test_correction_counts (void)
{
  g_autoptr(GPtrArray) samples = load_corpus ();
  g_autoptr(SsLearner) learner = ss_learner_new ();

  for (guint i = 0; i < samples->len; i++)
    {
      Sample *s = g_ptr_array_index (samples, i);
      double before = score (learner, s);

      learn (learner, s);
      if (s->is_spam)
        g_assert_cmpfloat (score (learner, s), >, before);
      else
        g_assert_cmpfloat (score (learner, s), <, before);
    }
  g_assert_cmpuint (ss_learner_get_n_updates (learner), ==, samples->len);
}

static void
test_edges (void)
{
  g_autoptr(SsLearner) learner = ss_learner_new_full (SS_LEARNER_MIN_BITS);
  const guint8 crlf[] = "a\r\nb\r\nc";
  const guint8 lf[] = "a\nb\nc";

  g_assert_cmpfloat (ss_learner_score (learner, NULL, 0), ==, 0);
  g_assert_false (ss_learner_learn (learner, (const guint8 *) "abc", 3, TRUE));
  g_assert_cmpuint (ss_learner_get_n_spam (learner), ==, 1);
  g_assert_true (ss_learner_learn (learner, crlf, sizeof crlf - 1, TRUE));
  /* CRLF and LF line ends give the same features */
  g_assert_cmpfloat (ss_learner_score (learner, crlf, sizeof crlf - 1), ==,
                     ss_learner_score (learner, lf, sizeof lf - 1));
  g_assert_cmpfloat (ss_learner_score (learner, lf, sizeof lf - 1), >, 0);
}

static void
test_fuse (void)
{
  g_assert_cmpfloat (ss_learner_fuse (NAN, 5, 0), ==, 0.5);
  g_assert_cmpfloat (ss_learner_fuse (5, 5, 0), ==, 0.5);
  g_assert_cmpfloat_with_epsilon (ss_learner_fuse (6, 5, 0), 1 / (1 + exp (-1)), 1e-12);
  g_assert_cmpfloat_with_epsilon (ss_learner_fuse (NAN, 5, 2), 1 / (1 + exp (-2)), 1e-12);
  /* the sum of log-odds: a confident learner outvotes a borderline spamd, and back */
  g_assert_cmpfloat (ss_learner_fuse (5.5, 5, -3), <, 0.5);
  g_assert_cmpfloat (ss_learner_fuse (4.0, 5, 3), >, 0.5);
  g_assert_cmpfloat (ss_learner_fuse (15, 5, -5), >, 0.99);
  g_assert_cmpfloat (ss_learner_fuse (1e300, 5, 1e300), ==, 1);
  g_assert_cmpfloat (ss_learner_fuse (-1e300, 5, -1e300), ==, 0);
  g_assert_cmpfloat (ss_learner_fuse (6, 5, NAN), ==, ss_learner_fuse (6, 5, 0));
  /* log-odds do not saturate: they still rank where probabilities are all 1 */
  g_assert_cmpfloat (ss_learner_fuse_logodds (6, 5, 1, 2), ==, 3);
  g_assert_cmpfloat (ss_learner_fuse_logodds (NAN, 5, 1, 2), ==, 1);
  g_assert_cmpfloat (ss_learner_fuse_logodds (90, 5, 0, 1), <,
                     ss_learner_fuse_logodds (95, 5, 0, 1));
  for (double s = -10; s < 30; s += 0.5)
    g_assert_cmpfloat (ss_learner_fuse (s, 5, 1), <, ss_learner_fuse (s + 0.5, 5, 1));
}

static void
assert_same_scores (SsLearner *a,
                    SsLearner *b,
                    GPtrArray *samples)
{
  g_assert_cmpuint (ss_learner_get_n_ham (a), ==, ss_learner_get_n_ham (b));
  g_assert_cmpuint (ss_learner_get_n_spam (a), ==, ss_learner_get_n_spam (b));
  g_assert_cmpuint (ss_learner_get_n_updates (a), ==, ss_learner_get_n_updates (b));
  for (guint i = 0; i < samples->len; i++)
    g_assert_cmpfloat (score (a, g_ptr_array_index (samples, i)), ==,
                       score (b, g_ptr_array_index (samples, i)));
}

static goffset
file_size (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_size;
}

static void
test_round_trip (void)
{
  g_autoptr(GPtrArray) samples = load_corpus ();
  g_autoptr(SsLearner) learner = trained_learner (samples);
  g_autoptr(SsLearner) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ss_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "sub", "learner.model", NULL);
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);

  g_assert_true (ss_learner_save (learner, path, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  loaded = ss_learner_load (path, &error);
  g_assert_no_error (error);
  assert_same_scores (learner, loaded, samples);

  /* bounded: the size depends on the shape only, not on how much was learned */
  g_assert_cmpint (file_size (path), ==, ss_learner_file_size (SS_LEARNER_DEFAULT_BITS));
  g_assert_cmpint (file_size (path), <=, 4 * 1024 * 1024 + 1024);
  for (guint i = 0; i < samples->len; i++)
    learn (learner, g_ptr_array_index (samples, i));
  g_assert_true (ss_learner_save (learner, path, &error));
  g_assert_cmpint (file_size (path), ==, ss_learner_file_size (SS_LEARNER_DEFAULT_BITS));
  g_clear_pointer (&loaded, ss_learner_unref);
  loaded = ss_learner_open (path, &error);
  g_assert_no_error (error);
  assert_same_scores (learner, loaded, samples);
  ss_test_rmrf (dir);
}

static void
expect_refused (const char   *path,
                const guint8 *data,
                gsize         len,
                int           code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SsLearner) learner = NULL;

  g_assert_true (g_file_set_contents (path, (const char *) data, len, &error));
  learner = ss_learner_load (path, &error);
  g_assert_null (learner);
  g_assert_error (error, SS_LEARNER_ERROR, code);
  g_test_message ("refused: %s", error->message);
}

static void
test_refuses (void)
{
  g_autoptr(SsLearner) learner = ss_learner_new_full (12);
  g_autoptr(SsLearner) fresh = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ss_test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "learner.model", NULL);
  g_autofree guint8 *copy = NULL;
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len, digest_len = 32;
  const char *name;
  guint n_aside = 0;

  ss_learner_learn (learner, (const guint8 *) "Subject: hello world", 20, TRUE);
  bytes = ss_learner_serialize (learner);
  len = g_bytes_get_size (bytes);
  copy = g_memdup2 (g_bytes_get_data (bytes, NULL), len);
  g_assert_cmpuint (len, ==, ss_learner_file_size (12));

  g_assert_null (ss_learner_load (path, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_clear_error (&error);

  expect_refused (path, copy, 0, SS_LEARNER_ERROR_TRUNCATED);
  expect_refused (path, copy, 5, SS_LEARNER_ERROR_TRUNCATED);
  expect_refused (path, copy, 40, SS_LEARNER_ERROR_TRUNCATED);
  expect_refused (path, copy, len / 2, SS_LEARNER_ERROR_TRUNCATED);
  expect_refused (path, copy, len - 1, SS_LEARNER_ERROR_TRUNCATED);
  expect_refused (path, (const guint8 *) "Return-Path: <a@b>\n", 19, SS_LEARNER_ERROR_FOREIGN);

  copy[100] ^= 0x10;   /* a weight */
  expect_refused (path, copy, len, SS_LEARNER_ERROR_CORRUPT);
  copy[100] ^= 0x10;
  copy[33] ^= 0x01;    /* a count in the header */
  expect_refused (path, copy, len, SS_LEARNER_ERROR_CORRUPT);
  copy[33] ^= 0x01;
  copy[0] = 's';       /* magic */
  expect_refused (path, copy, len, SS_LEARNER_ERROR_FOREIGN);
  copy[0] = 'S';
  copy[8] = 2;         /* version */
  expect_refused (path, copy, len, SS_LEARNER_ERROR_VERSION);
  copy[8] = 1;

  /* a model made with the earlier 3072-byte prefix loads as it is (same features) */
  {
    g_autoptr(SsLearner) older = NULL;
    gsize digest_len2 = 32;
    g_autoptr(GChecksum) sum2 = g_checksum_new (G_CHECKSUM_SHA256);

    copy[20] = 3072 & 0xff;
    copy[21] = 3072 >> 8;
    g_checksum_update (sum2, copy, len - 32);
    g_checksum_get_digest (sum2, copy + len - 32, &digest_len2);
    g_assert_true (g_file_set_contents (path, (const char *) copy, len, NULL));
    older = ss_learner_load (path, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (ss_learner_get_n_ham (older) + ss_learner_get_n_spam (older), >, 0);
    copy[20] = SS_LEARNER_PREFIX & 0xff;
    copy[21] = (SS_LEARNER_PREFIX >> 8) & 0xff;
    g_checksum_reset (sum2);
    g_checksum_update (sum2, copy, len - 32);
    g_checksum_get_digest (sum2, copy + len - 32, &digest_len2);
    g_unlink (path);
  }

  /* a NaN weight under a valid checksum */
  memcpy (copy + 64 + 4 * 7, "\x00\x00\xc0\x7f", 4);
  g_checksum_update (sum, copy, len - 32);
  g_checksum_get_digest (sum, copy + len - 32, &digest_len);
  expect_refused (path, copy, len, SS_LEARNER_ERROR_CORRUPT);

  /* open() keeps the bad file aside and starts afresh */
  fresh = ss_learner_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ss_learner_get_n_ham (fresh) + ss_learner_get_n_spam (fresh), ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, &error);

    while ((name = g_dir_read_name (d)) != NULL)
      n_aside += g_str_has_prefix (name, "learner.model.corrupt-");
  }
  g_assert_cmpuint (n_aside, ==, 1);
  ss_test_rmrf (dir);
}

/* The child learns more and saves over the model, crashing at `mode`; the last good model
 * must still load with its scores. */
static void
crash_mid_save (const char *mode)
{
  g_autoptr(GPtrArray) samples = load_corpus ();
  g_autoptr(SsLearner) good = trained_learner (samples);
  g_autoptr(SsLearner) loaded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *tmp = NULL;

  if (g_test_subprocess ())
    {
      path = g_strdup (g_getenv ("SS_TEST_LEARNER_PATH"));
      for (guint i = 0; i < samples->len; i++)
        learn (good, g_ptr_array_index (samples, i));
      g_setenv ("SS_DEBUG_LEARNER_CRASH", mode, TRUE);
      ss_learner_save (good, path, NULL);
      g_assert_not_reached ();
    }

  dir = ss_test_mkdtemp ();
  path = g_build_filename (dir, "learner.model", NULL);
  tmp = g_strconcat (path, ".tmp", NULL);
  g_assert_true (ss_learner_save (good, path, &error));
  g_setenv ("SS_TEST_LEARNER_PATH", path, TRUE);
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv ("SS_TEST_LEARNER_PATH");
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*SS_DEBUG_LEARNER_CRASH*");
  g_assert_true (g_file_test (tmp, G_FILE_TEST_EXISTS));   /* the crash's leftover */

  loaded = ss_learner_load (path, &error);
  g_assert_no_error (error);
  assert_same_scores (good, loaded, samples);
  /* the next save overwrites the leftover instead of piling up another */
  g_assert_true (ss_learner_save (loaded, path, &error));
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  ss_test_rmrf (dir);
}

static void
test_crash_mid_write (void)
{
  crash_mid_save ("write");
}

static void
test_crash_before_rename (void)
{
  crash_mid_save ("rename");
}

static gsize
peak_rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *hwm;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  hwm = strstr (status, "VmHWM:");
  g_assert_nonnull (hwm);
  return (gsize) g_ascii_strtoull (hwm + 6, NULL, 10);
}

/* Loading and saving the 2^20-weight model (4 MiB, every weight set) holds it in memory
 * once: the peak grows by the weights and small buffers, not by a second copy. */
static void
test_memory (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (g_test_subprocess ())
    {
      g_autoptr(SsLearner) loaded = NULL;
      gsize before = peak_rss_kb (), after;

      path = g_strdup (g_getenv ("SS_TEST_LEARNER_PATH"));
      loaded = ss_learner_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (ss_learner_get_n_spam (loaded), ==, 3);
      g_assert_true (ss_learner_save (loaded, path, &error));
      g_assert_no_error (error);
      after = peak_rss_kb ();
      g_test_message ("peak RSS %" G_GSIZE_FORMAT " kB -> %" G_GSIZE_FORMAT " kB", before,
                      after);
      g_assert_cmpuint (after - before, >=, 4096);   /* the weights, all touched */
      g_assert_cmpuint (after - before, <, 6 * 1024);
      return;
    }

  dir = ss_test_mkdtemp ();
  path = g_build_filename (dir, "learner.model", NULL);
  {
    g_autoptr(SsLearner) learner = ss_learner_new ();
    g_autoptr(GBytes) bytes = ss_learner_serialize (learner);
    gsize len = g_bytes_get_size (bytes);
    g_autofree guint8 *data = g_memdup2 (g_bytes_get_data (bytes, NULL), len);
    g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
    gsize digest_len = 32;
    guint32 w = GUINT32_TO_LE (0x3a83126f);   /* 0.001f */

    data[40] = 3;   /* n_spam */
    for (gsize i = 64; i + 32 < len; i += 4)
      memcpy (data + i, &w, 4);
    g_checksum_update (sum, data, len - 32);
    g_checksum_get_digest (sum, data + len - 32, &digest_len);
    g_assert_true (g_file_set_contents (path, (const char *) data, len, &error));
  }
  g_setenv ("SS_TEST_LEARNER_PATH", path, TRUE);
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("SS_TEST_LEARNER_PATH");
  g_test_trap_assert_passed ();
  ss_test_rmrf (dir);
}

/* CPU per message (score + learn), on the 2^20-weight model; the goal is <= 2 ms. */
static void
test_cpu (void)
{
  g_autoptr(GPtrArray) samples = load_corpus ();
  g_autoptr(SsLearner) learner = ss_learner_new ();
  clock_t start = clock ();
  guint n = 0;
  double ms;

  for (guint pass = 0; pass < 10; pass++)
    for (guint i = 0; i < samples->len; i++, n++)
      {
        score (learner, g_ptr_array_index (samples, i));
        learn (learner, g_ptr_array_index (samples, i));
      }
  ms = 1000.0 * (clock () - start) / CLOCKS_PER_SEC / n;
  g_test_message ("%.3f ms CPU per message (score + learn)", ms);
  g_assert_cmpfloat (ms, <, 20);   /* only a gross regression fails on a shared machine */
}

static void
test_default_path (void)
{
  g_autofree char *path = ss_learner_default_path ("me@example.org/imap:993");
  g_autofree char *base = g_path_get_basename (path);

  g_assert_true (g_str_has_prefix (path, g_get_user_data_dir ()));
  g_assert_true (g_str_has_prefix (base, "learner-me"));
  g_assert_true (g_str_has_suffix (base, ".model"));
  g_assert_null (strchr (base, '/'));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/spamsieve/learner/separates", test_separates);
  g_test_add_func ("/spamsieve/learner/correction-counts", test_correction_counts);
  g_test_add_func ("/spamsieve/learner/edges", test_edges);
  g_test_add_func ("/spamsieve/learner/fuse", test_fuse);
  g_test_add_func ("/spamsieve/learner/round-trip", test_round_trip);
  g_test_add_func ("/spamsieve/learner/refuses", test_refuses);
  g_test_add_func ("/spamsieve/learner/crash-mid-write", test_crash_mid_write);
  g_test_add_func ("/spamsieve/learner/crash-before-rename", test_crash_before_rename);
  g_test_add_func ("/spamsieve/learner/memory", test_memory);
  g_test_add_func ("/spamsieve/learner/cpu", test_cpu);
  g_test_add_func ("/spamsieve/learner/default-path", test_default_path);
  return g_test_run ();
}
