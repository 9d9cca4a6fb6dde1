/* learner-replay: offline measurement of the personal learner (src/engine/ss-learner.c).
 * Replays labelled messages online, TREC style: each is scored, its error counted, then its
 * true label learned. Label from the path: a file or folder name starting with "spam" is spam,
 * one containing "ham" ham ("hard" in it: hard ham, reported apart); so it reads
 * tools/fetch-corpus output and the unpacked SpamAssassin corpus (easy-ham-1/, spam-2/, ...).
 * A hash of the file name splits the messages into a "tune" part (choose parameters there)
 * and a "test" part (report there, default); each part is its own stream. See --help. */
#include "config.h"

#include <gmime/gmime.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ss-decision.h"
#include "ss-learner.h"

typedef struct
{
  const char *path;
  gboolean    is_spam;
  gboolean    is_hard;
  gint64      date;      /* seconds since the epoch (0: unknown), or a random key */
  guint       index;     /* in the input order, to sort stably */
  double      margin;    /* before learning it */
  double      spamd;     /* spamd's score - required (--spamd) */
} Item;

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

typedef struct
{
  double    value;
  gboolean  is_spam;
} Scored;

static int
compare_scored (const void *a,
                const void *b)
{
  double x = ((const Scored *) a)->value, y = ((const Scored *) b)->value;

  return (x > y) - (x < y);
}

static double
pct (double a,
     double b)
{
  return b > 0 ? 100.0 * a / b : 0;
}

/* One verdict's figures over the stream: v[i] is item i's spam log-odds; spam above 0 (also
 * at 0 when tie_is_spam). 1-ROCA: the share of (ham, spam) pairs in the wrong order, ties
 * half. "caught": spam above the cut-off that puts at most 0.1 % of ham in Spam. */
static void
report (const char   *label,
        GPtrArray    *items,
        const double *v,
        gboolean      tie_is_spam)
{
  g_autofree Scored *s = g_new (Scored, items->len);
  guint n = items->len, n_ham = 0, n_hard = 0, fp = 0, fn = 0, fp_hard = 0, caught = 0;
  guint half[2] = { 0, 0 }, hams = 0;
  double right_pairs = 0, ham_below = 0, cut = -G_MAXDOUBLE;

  for (guint i = 0; i < n; i++)
    {
      Item *it = g_ptr_array_index (items, i);
      gboolean wrong = it->is_spam != (v[i] > 0 || (tie_is_spam && v[i] == 0));

      n_ham += !it->is_spam;
      n_hard += it->is_hard;
      fp += !it->is_spam && wrong;
      fp_hard += it->is_hard && wrong;
      fn += it->is_spam && wrong;
      half[i >= n / 2] += wrong;
      s[i] = (Scored) { v[i], it->is_spam };
    }
  qsort (s, n, sizeof (Scored), compare_scored);
  for (guint i = 0, j; i < n; i = j)
    {
      guint h = 0, sp = 0;

      for (j = i; j < n && s[j].value == s[i].value; j++)
        s[j].is_spam ? sp++ : h++;
      right_pairs += sp * (ham_below + 0.5 * h);
      ham_below += h;
    }
  for (guint i = n; i-- > 0;)
    if (!s[i].is_spam && ++hams == n_ham / 1000 + 1)
      {
        cut = s[i].value;
        break;
      }
  for (guint i = 0; i < n; i++)
    caught += s[i].is_spam && s[i].value > cut;
  printf ("%-7s ham in spam %5.2f %% (hard %5.2f %%, easy %4.2f %%), spam missed %5.2f %%, "
          "1-ROCA %5.3f %%, caught at 0.1 %% %5.1f %%, errors 1st/2nd half %u/%u\n",
          label, pct (fp, n_ham), pct (fp_hard, n_hard), pct (fp - fp_hard, n_ham - n_hard),
          pct (fn, n - n_ham), 100 - pct (right_pairs, (double) n_ham * (n - n_ham)),
          pct (caught, n - n_ham), half[0], half[1]);
}

/* The uncertain band as the engine applies it (ss_decide, threshold 50 %): per band width, the
 * share of mail inside, the errors left outside it, and how many of band 0's errors it holds. */
static void
report_bands (GPtrArray *items)
{
  static const guint bands[] = { 0, 5, 10, 15, 20, 25, 30, 35 };
  guint n = items->len, n_ham = 0, errors0 = 0;

  for (guint i = 0; i < n; i++)
    n_ham += !((Item *) g_ptr_array_index (items, i))->is_spam;
  for (guint b = 0; b < G_N_ELEMENTS (bands); b++)
    {
      guint inside = 0, fp = 0, fn = 0, held = 0;

      for (guint i = 0; i < n; i++)
        {
          Item *it = g_ptr_array_index (items, i);
          SsDecision d = ss_decide (it->spamd, 0, it->margin, 0.5, bands[b] / 100.0);
          SsDecision d0 = ss_decide (it->spamd, 0, it->margin, 0.5, 0);
          gboolean wrong0 = (d0.kind == SS_DECISION_SPAM) != it->is_spam;

          if (b == 0)
            errors0 += wrong0;
          if (d.kind == SS_DECISION_UNCERTAIN)
            {
              inside++;
              held += wrong0;
            }
          else if ((d.kind == SS_DECISION_SPAM) != it->is_spam)
            it->is_spam ? fn++ : fp++;
        }
      printf ("band %2u %%: uncertain %5.2f %% of mail, ham in spam %5.2f %%, spam missed "
              "%5.2f %%, holds %u of %u errors\n", bands[b], pct (inside, n), pct (fp, n_ham),
              pct (fn, n - n_ham), held, errors0);
    }
}

/* "PATH<TAB>SCORE/REQUIRED" lines (spamc -c output) into PATH -> score - required */
static GHashTable *
load_spamd (const char  *path,
            GError     **error)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GHashTable *scores;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  scores = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    {
      char *tab = strchr (*l, '\t'), *end;
      double score, required;

      if (tab == NULL)
        continue;
      score = g_ascii_strtod (tab + 1, &end);
      if (end == tab + 1 || *end != '/')
        continue;
      required = g_ascii_strtod (end + 1, NULL);
      g_hash_table_insert (scores, g_strndup (*l, tab - *l),
                           g_memdup2 (&(double) { score - required }, sizeof (double)));
    }
  return scores;
}

int
main (int    argc,
      char **argv)
{
  gint64 seed = 20251203;
  double rate = SS_LEARNER_DEFAULT_RATE, margin = SS_LEARNER_DEFAULT_TRAIN_MARGIN;
  double per_point = SS_LEARNER_SPAMD_LOGODDS_PER_POINT;
  int bits = SS_LEARNER_DEFAULT_BITS, max = 0;
  g_autofree char *part = NULL, *order = NULL, *train = NULL, *spamd_file = NULL;
  g_autofree char *dump_file = NULL;
  gboolean learn_all = FALSE;
  int batch = 1;
  g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GArray) pending_spam = g_array_new (FALSE, FALSE, sizeof (gboolean));
  GOptionEntry entries[] = {
    { "part", 'p', 0, G_OPTION_ARG_STRING, &part, "tune, test (default) or all", "PART" },
    { "order", 'o', 0, G_OPTION_ARG_STRING, &order, "date (default) or random", "ORDER" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "seed of the random order", "N" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &rate, "learning rate (0.02)", "R" },
    { "margin", 'm', 0, G_OPTION_ARG_DOUBLE, &margin,
      "learn only when the true side's margin is below M (default: always)", "M" },
    { "bits", 'b', 0, G_OPTION_ARG_INT, &bits, "2^BITS weights (20)", "BITS" },
    { "max", 'n', 0, G_OPTION_ARG_INT, &max, "replay at most N messages", "N" },
    { "spamd", 0, 0, G_OPTION_ARG_FILENAME, &spamd_file, "replay only the messages F has "
      "spamd's verdict for (PATH<TAB>spamc -c output), report spamd and fused too", "F" },
    { "per-point", 0, 0, G_OPTION_ARG_DOUBLE, &per_point,
      "log-odds per spamd point in the fused verdict (1)", "K" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "learn the messages N at a time, after all "
      "N were scored (default 1: each right after its score)", "N" },
    { "learn-all", 0, 0, G_OPTION_ARG_NONE, &learn_all, "with --spamd: also replay (learn) "
      "the messages F has no verdict for, reporting only the others", NULL },
    { "dump", 0, 0, G_OPTION_ARG_FILENAME, &dump_file, "write PATH<TAB>learner margin "
      "(before learning it) of each message, in replay order, to F", "F" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("DIR... - replay labelled mail "
                                                            "through the personal learner");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GStringChunk) paths = g_string_chunk_new (4096);
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  g_autoptr(SsLearner) learner = NULL;
  g_autoptr(GHashTable) spamd = NULL;
  g_autofree double *v = NULL;
  guint n_ham = 0, n_hard = 0;
  double cpu = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc < 2)
    {
      g_printerr ("%s\n", error ? error->message : "give one or more folders of messages");
      return 2;
    }
  if (part == NULL)
    part = g_strdup ("test");
  if (order == NULL)
    order = g_strdup ("date");
  if (bits < SS_LEARNER_MIN_BITS || bits > SS_LEARNER_MAX_BITS || rate <= 0 ||
      (strcmp (order, "date") != 0 && strcmp (order, "random") != 0) ||
      (strcmp (part, "tune") != 0 && strcmp (part, "test") != 0 &&
       strcmp (part, "all") != 0))
    {
      g_printerr ("bad option value (see --help)\n");
      return 2;
    }
  g_mime_init ();
  if (spamd_file != NULL && (spamd = load_spamd (spamd_file, &error)) == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

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
      double *d = spamd != NULL ? g_hash_table_lookup (spamd, it->path) : NULL;

      if (spamd != NULL && d == NULL && !learn_all)
        continue;
      it->spamd = d != NULL ? *d : NAN;
      if (strcmp (part, "all") == 0 || in_test_part (it->path) == (strcmp (part, "test") == 0))
        g_ptr_array_add (items, it);
    }

  {
    g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) seed);

    for (guint i = 0; i < items->len; i++)
      {
        Item *it = g_ptr_array_index (items, i);
        g_autoptr(GBytes) message = strcmp (order, "date") == 0 ?
                                    read_message (it->path, NULL) : NULL;

        it->index = i;
        it->date = message != NULL ? message_date (message) : g_rand_int (rand);
      }
    g_ptr_array_sort (items, compare_date);
  }
  if (max > 0 && (guint) max < items->len)
    g_ptr_array_set_size (items, max);

  learner = ss_learner_new_full (bits);
  ss_learner_set_rate (learner, rate);
  ss_learner_set_train_margin (learner, margin);
  for (guint i = 0; i < items->len; i++)
    {
      Item *it = g_ptr_array_index (items, i);
      g_autoptr(GBytes) message = read_message (it->path, &error);
      const guint8 *data;
      gsize len;
      clock_t t0;

      if (message == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      data = g_bytes_get_data (message, &len);
      t0 = clock ();
      it->margin = ss_learner_score (learner, data, len);
      if (batch <= 1)
        ss_learner_learn (learner, data, len, it->is_spam);
      else
        {
          /* learned after its batch was scored, as the bench's replay does */
          g_ptr_array_add (pending, g_bytes_ref (message));
          g_array_append_val (pending_spam, it->is_spam);
          if (pending->len >= (guint) batch || i + 1 == items->len)
            {
              for (guint j = 0; j < pending->len; j++)
                {
                  gsize plen;
                  const guint8 *p = g_bytes_get_data (pending->pdata[j], &plen);

                  ss_learner_learn (learner, p, plen, g_array_index (pending_spam, gboolean, j));
                }
              g_ptr_array_set_size (pending, 0);
              g_array_set_size (pending_spam, 0);
            }
        }
      cpu += (double) (clock () - t0) / CLOCKS_PER_SEC;
      n_ham += !it->is_spam;
      n_hard += it->is_hard;
    }

  train = margin >= G_MAXDOUBLE ? g_strdup ("always")
                                  : g_strdup_printf ("up to margin %g", margin);
  printf ("learner-replay: part %s, %s order%s, rate %g, train %s, 2^%d weights "
          "(model file %" G_GSIZE_FORMAT " bytes)\n",
          part, order, strcmp (order, "random") == 0 ? " (seeded)" : "", rate,
          train, bits, ss_learner_file_size (bits));
  printf ("messages: %u ham (%u hard) + %u spam; weight updates %" G_GUINT64_FORMAT "; "
          "CPU per message (score + learn) %.3f ms\n", n_ham, n_hard, items->len - n_ham,
          ss_learner_get_n_updates (learner), items->len ? 1000 * cpu / items->len : 0);
  v = g_new (double, items->len);
  for (guint i = 0; i < items->len; i++)
    v[i] = ((Item *) g_ptr_array_index (items, i))->margin;
  if (learn_all && spamd != NULL)
    {
      guint k = 0;

      /* only the messages with spamd's verdict are reported */
      for (guint i = 0; i < items->len; i++)
        {
          Item *it = g_ptr_array_index (items, i);

          if (!isnan (it->spamd))
            {
              v[k] = it->margin;
              items->pdata[k++] = it;
            }
        }
      g_ptr_array_set_size (items, k);
    }
  report ("learner", items, v, FALSE);
  if (dump_file != NULL)
    {
      g_autoptr(GString) out = g_string_new (NULL);

      for (guint i = 0; i < items->len; i++)
        {
          Item *it = g_ptr_array_index (items, i);

          g_string_append_printf (out, "%s\t%.3f\n", it->path, it->margin);
        }
      if (!g_file_set_contents (dump_file, out->str, out->len, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
    }
  if (spamd == NULL)
    return 0;
  for (guint i = 0; i < items->len; i++)
    v[i] = ((Item *) g_ptr_array_index (items, i))->spamd;
  report ("spamd", items, v, TRUE);   /* spam from its required score on */
  for (guint i = 0; i < items->len; i++)
    {
      Item *it = g_ptr_array_index (items, i);

      v[i] = ss_learner_fuse_logodds (it->spamd, 0, it->margin, per_point);
    }
  report ("fused", items, v, FALSE);
  printf ("(fused: the sum of log-odds, %g per spamd point above its threshold)\n",
          per_point);
  report_bands (items);
  return 0;
}
