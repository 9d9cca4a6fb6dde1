/* learner-replay: offline measurement of the personal learner (src/engine/ss-learner.c).
 *
 * Replays labelled messages online, TREC style: each message is scored, its error counted,
 * then its true label learned. The label comes from the path: a file or folder whose name
 * starts with "spam" is spam, one containing "ham" is ham ("hard" in the path: hard ham,
 * reported apart). Works on tools/fetch-corpus output (ham-NNNNN.eml, spam-NNNNN.eml) and on
 * the unpacked SpamAssassin corpus (easy-ham-1/, hard-ham-1/, spam-2/, ... *.txt).
 *
 * The messages are split in two parts by a hash of the file name: "tune" (choose parameters
 * there) and "test" (report there, default); each part is its own stream.
 *
 * Usage: learner-replay [OPTION...] DIR...   (see --help) */
#include "config.h"

#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ss-learner.h"

typedef struct
{
  const char *path;
  gboolean    is_spam;
  gboolean    is_hard;
  gint64      date;      /* seconds since the epoch, 0 when unknown */
  guint       index;     /* in the input order, to sort stably */
  double      margin;    /* before learning it */
} Item;

typedef struct
{
  const char *part;
  const char *order;
  gint64      seed;
  double      rate;
  double      margin;
  int         bits;
  int         max;
} Options;

/* The message without an mbox "From " line. */
static GBytes *
read_message (const char  *path,
              GError     **error)
{
  char *data = NULL;
  gsize len = 0, skip = 0;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  if (len >= 5 && memcmp (data, "From ", 5) == 0)
    {
      const char *nl = memchr (data, '\n', len);
      skip = nl != NULL ? (gsize) (nl - data) + 1 : len;
    }
  memmove (data, data + skip, len - skip);
  return g_bytes_new_take (data, len - skip);
}

/* The Date: header as seconds, 0 when missing or unparsable. */
static gint64
message_date (GBytes *message)
{
  gsize len;
  const char *data = g_bytes_get_data (message, &len);
  const char *end = data + len;

  for (const char *line = data; line < end;)
    {
      const char *nl = memchr (line, '\n', end - line);
      gsize n = (nl != NULL ? nl : end) - line;

      if (n == 0 || (n == 1 && line[0] == '\r'))
        break;   /* end of the header */
      if (n > 5 && g_ascii_strncasecmp (line, "Date:", 5) == 0)
        {
          g_autofree char *value = g_strndup (line + 5, n - 5);
          g_autoptr(GDateTime) dt = g_mime_utils_header_decode_date (value);

          return dt != NULL ? g_date_time_to_unix (dt) : 0;
        }
      if (nl == NULL)
        break;
      line = nl + 1;
    }
  return 0;
}

static gboolean
in_test_part (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *sha = g_compute_checksum_for_string (G_CHECKSUM_SHA1, base, -1);

  return g_ascii_xdigit_value (sha[0]) % 2 == 1;
}

static void
collect (const char    *dir,
         const char    *rel,
         GStringChunk  *paths,
         GPtrArray     *items,
         GError       **error)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, error);
  const char *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL && (error == NULL || *error == NULL))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *sub = rel[0] ? g_build_filename (rel, name, NULL) : g_strdup (name);
      g_autofree char *lower = g_ascii_strdown (sub, -1);
      g_autofree char *slash = g_strconcat ("/", lower, NULL);
      Item *item;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          collect (path, sub, paths, items, error);
          continue;
        }
      if (!g_str_has_suffix (lower, ".eml") && !g_str_has_suffix (lower, ".txt"))
        continue;
      if (strstr (slash, "/spam") == NULL && strstr (lower, "ham") == NULL)
        continue;
      item = g_new0 (Item, 1);
      item->path = g_string_chunk_insert (paths, path);
      item->is_spam = strstr (slash, "/spam") != NULL;
      item->is_hard = !item->is_spam && strstr (lower, "hard") != NULL;
      g_ptr_array_add (items, item);
    }
}

static int
compare_path (gconstpointer a,
              gconstpointer b)
{
  return strcmp ((*(Item **) a)->path, (*(Item **) b)->path);
}

static int
compare_date (gconstpointer a,
              gconstpointer b)
{
  const Item *x = *(Item **) a, *y = *(Item **) b;

  if (x->date != y->date)
    return x->date < y->date ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

static int
compare_margin (const void *a,
                const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* 1 - area under the ROC curve, in %: the share of (ham, spam) pairs ranked wrongly
 * (ties count half). */
static double
one_minus_roca (GPtrArray *items)
{
  g_autofree double *ham = g_new (double, items->len);
  guint n_ham = 0, n_spam = 0, lo = 0, hi = 0;
  double wrong = 0;

  for (guint i = 0; i < items->len; i++)
    {
      Item *it = g_ptr_array_index (items, i);
      if (!it->is_spam)
        ham[n_ham++] = it->margin;
    }
  qsort (ham, n_ham, sizeof (double), compare_margin);
  for (guint i = 0; i < items->len; i++)
    {
      Item *it = g_ptr_array_index (items, i);
      guint below, not_above;

      if (!it->is_spam)
        continue;
      n_spam++;
      /* ham with margin >= spam's (wrong), = (half) by binary search */
      lo = 0, hi = n_ham;
      while (lo < hi)
        {
          guint mid = (lo + hi) / 2;
          if (ham[mid] < it->margin) lo = mid + 1; else hi = mid;
        }
      below = lo;
      lo = below, hi = n_ham;
      while (lo < hi)
        {
          guint mid = (lo + hi) / 2;
          if (ham[mid] <= it->margin) lo = mid + 1; else hi = mid;
        }
      not_above = lo;
      wrong += (n_ham - not_above) + 0.5 * (not_above - below);
    }
  return n_ham && n_spam ? 100.0 * wrong / ((double) n_ham * n_spam) : 0;
}

/* Spam caught (%) at the cut-off that puts at most 0.1 % of ham in Spam. */
static double
caught_at_low_fp (GPtrArray *items)
{
  g_autofree double *ham = g_new (double, items->len);
  guint n_ham = 0, n_spam = 0, caught = 0;
  double cut;

  for (guint i = 0; i < items->len; i++)
    {
      Item *it = g_ptr_array_index (items, i);
      if (!it->is_spam)
        ham[n_ham++] = it->margin;
    }
  if (n_ham == 0)
    return 0;
  qsort (ham, n_ham, sizeof (double), compare_margin);
  cut = ham[n_ham - 1 - (guint) (n_ham * 0.001)];
  for (guint i = 0; i < items->len; i++)
    {
      Item *it = g_ptr_array_index (items, i);
      if (it->is_spam)
        n_spam++, caught += it->margin > cut;
    }
  return n_spam ? 100.0 * caught / n_spam : 0;
}

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
pct (guint a,
     guint b)
{
  return b ? 100.0 * a / b : 0;
}

int
main (int    argc,
      char **argv)
{
  Options o = { "test", "date", 20251203, SS_LEARNER_DEFAULT_RATE,
                SS_LEARNER_DEFAULT_TRAIN_MARGIN, SS_LEARNER_DEFAULT_BITS, 0 };
  g_autofree char *part = NULL, *order = NULL, *train = NULL;
  GOptionEntry entries[] = {
    { "part", 'p', 0, G_OPTION_ARG_STRING, &part, "tune, test (default) or all", "PART" },
    { "order", 'o', 0, G_OPTION_ARG_STRING, &order, "date (default) or random", "ORDER" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &o.seed, "seed of the random order", "N" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &o.rate, "learning rate (0.02)", "R" },
    { "margin", 'm', 0, G_OPTION_ARG_DOUBLE, &o.margin,
      "learn only when the true side's margin is below M (default: always)", "M" },
    { "bits", 'b', 0, G_OPTION_ARG_INT, &o.bits, "2^BITS weights (20)", "BITS" },
    { "max", 'n', 0, G_OPTION_ARG_INT, &o.max, "replay at most N messages", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("DIR... - replay labelled mail "
                                                            "through the personal learner");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GStringChunk) paths = g_string_chunk_new (4096);
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  g_autoptr(SsLearner) learner = NULL;
  guint n_ham = 0, n_spam = 0, n_hard = 0, fp = 0, fn = 0, fp_hard = 0;
  guint half_errors[2] = { 0, 0 };
  double cpu = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc < 2)
    {
      g_printerr ("%s\n", error ? error->message : "give one or more folders of messages");
      return 2;
    }
  if (part != NULL)
    o.part = part;
  if (order != NULL)
    o.order = order;
  if (o.bits < SS_LEARNER_MIN_BITS || o.bits > SS_LEARNER_MAX_BITS || o.rate <= 0 ||
      (strcmp (o.order, "date") != 0 && strcmp (o.order, "random") != 0) ||
      (strcmp (o.part, "tune") != 0 && strcmp (o.part, "test") != 0 &&
       strcmp (o.part, "all") != 0))
    {
      g_printerr ("bad option value (see --help)\n");
      return 2;
    }
  g_mime_init ();

  for (int i = 1; i < argc && error == NULL; i++)
    collect (argv[i], "", paths, all, &error);
  if (error != NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  g_ptr_array_sort (all, compare_path);   /* independent of the file system's order */
  for (guint i = 0; i < all->len; i++)
    {
      Item *it = g_ptr_array_index (all, i);

      if (strcmp (o.part, "all") == 0 || in_test_part (it->path) == (strcmp (o.part, "test") == 0))
        g_ptr_array_add (items, it);
    }

  if (strcmp (o.order, "random") == 0)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) o.seed);

      for (guint i = items->len; i > 1; i--)
        {
          guint j = g_rand_int_range (rand, 0, i);
          gpointer t = items->pdata[i - 1];

          items->pdata[i - 1] = items->pdata[j];
          items->pdata[j] = t;
        }
    }
  else
    {
      for (guint i = 0; i < items->len; i++)
        {
          Item *it = g_ptr_array_index (items, i);
          g_autoptr(GBytes) message = read_message (it->path, NULL);

          it->index = i;
          it->date = message != NULL ? message_date (message) : 0;
        }
      g_ptr_array_sort (items, compare_date);
    }
  if (o.max > 0 && (guint) o.max < items->len)
    g_ptr_array_set_size (items, o.max);

  learner = ss_learner_new_full (o.bits);
  ss_learner_set_rate (learner, o.rate);
  ss_learner_set_train_margin (learner, o.margin);
  for (guint i = 0; i < items->len; i++)
    {
      Item *it = g_ptr_array_index (items, i);
      g_autoptr(GBytes) message = read_message (it->path, &error);
      const guint8 *data;
      gsize len;
      double t0;
      gboolean wrong;

      if (message == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      data = g_bytes_get_data (message, &len);
      t0 = cpu_seconds ();
      it->margin = ss_learner_score (learner, data, len);
      ss_learner_learn (learner, data, len, it->is_spam);
      cpu += cpu_seconds () - t0;

      wrong = it->is_spam ? it->margin <= 0 : it->margin > 0;
      n_spam += it->is_spam;
      n_ham += !it->is_spam;
      n_hard += it->is_hard;
      fn += it->is_spam && wrong;
      fp += !it->is_spam && wrong;
      fp_hard += it->is_hard && wrong;
      half_errors[i >= items->len / 2] += wrong;
    }

  train = o.margin >= G_MAXDOUBLE ? g_strdup ("always")
                                  : g_strdup_printf ("up to margin %g", o.margin);
  printf ("learner-replay: part %s, %s order%s, rate %g, train %s, 2^%d weights "
          "(model file %" G_GSIZE_FORMAT " bytes)\n",
          o.part, o.order, strcmp (o.order, "random") == 0 ? " (seeded)" : "", o.rate,
          train, o.bits, ss_learner_file_size (o.bits));
  printf ("messages: %u ham (%u hard) + %u spam; weight updates %" G_GUINT64_FORMAT "\n",
          n_ham, n_hard, n_spam, ss_learner_get_n_updates (learner));
  printf ("ham put in spam:   %6.2f %%  (%u; hard ham %.2f %%, easy ham %.2f %%)\n",
          pct (fp, n_ham), fp, pct (fp_hard, n_hard), pct (fp - fp_hard, n_ham - n_hard));
  printf ("spam missed:       %6.2f %%  (%u)\n", pct (fn, n_spam), fn);
  printf ("1-ROCA:            %6.3f %%\n", one_minus_roca (items));
  printf ("spam caught at <= 0.1 %% ham in spam: %.1f %%\n", caught_at_low_fp (items));
  printf ("errors, first half / second half: %u / %u\n", half_errors[0], half_errors[1]);
  printf ("CPU per message (score + learn): %.3f ms\n",
          items->len ? 1000 * cpu / items->len : 0);
  return 0;
}
