/* ss-stats.c: counts (today / total) and accuracy from the user's corrections.
 *
 * A correction is a message learned as ham (a false positive) or as spam (a false negative),
 * whether marked here or dropped into a learning folder. A mark replaces the row of the
 * message in place, so a learned row whose Message-ID has no scan row of its own stands for
 * the scan it replaced: it counts as scanned, with the verdict it had. */
#define G_LOG_DOMAIN "ss-stats"

#include "config.h"

#include "ss-stats.h"

#include <glib/gi18n.h>
#include <string.h>

#include "ss-verdict.h"

#define RECOUNT_EVERY_S 300   /* "today" moves at midnight */

struct _SsStats
{
  GObject     parent_instance;

  GListModel *model;
  gulong      items_changed_id;
  guint       idle_id;
  guint       timer_id;
  SsCounts    today;
  SsCounts    total;
};

G_DEFINE_FINAL_TYPE (SsStats, ss_stats, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MODEL,
  PROP_TODAY_TEXT,
  PROP_TOTAL_TEXT,
  PROP_ACCURACY_TEXT,
  PROP_TODAY_COUNT_TEXT,
  PROP_TODAY_DETAIL_TEXT,
  PROP_TOTAL_COUNT_TEXT,
  PROP_TOTAL_DETAIL_TEXT,
  PROP_ACCURACY_VALUE_TEXT,
  PROP_ACCURACY_DETAIL_TEXT,
  PROP_SUMMARY_TEXT,
  PROP_TODAY_SCANNED,
  PROP_TODAY_SPAM,
  PROP_TOTAL_SCANNED,
  PROP_ACCURACY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The texts, one string property each */
static const char * const text_properties[N_PROPS] = {
  [PROP_TODAY_TEXT] = "today-text",
  [PROP_TOTAL_TEXT] = "total-text",
  [PROP_ACCURACY_TEXT] = "accuracy-text",
  [PROP_TODAY_COUNT_TEXT] = "today-count-text",
  [PROP_TODAY_DETAIL_TEXT] = "today-detail-text",
  [PROP_TOTAL_COUNT_TEXT] = "total-count-text",
  [PROP_TOTAL_DETAIL_TEXT] = "total-detail-text",
  [PROP_ACCURACY_VALUE_TEXT] = "accuracy-value-text",
  [PROP_ACCURACY_DETAIL_TEXT] = "accuracy-detail-text",
  [PROP_SUMMARY_TEXT] = "summary-text",
};

static gint64
local_midnight (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (now),
                                                         g_date_time_get_month (now),
                                                         g_date_time_get_day_of_month (now),
                                                         0, 0, 0);

  return g_date_time_to_unix (midnight);
}

static void
count_one (SsCounts       *c,
           const SsRecord *r,
           gboolean        replaced_scan)
{
  gboolean learned = r->verdict == SS_VERDICT_LEARNED_HAM ||
                     r->verdict == SS_VERDICT_LEARNED_SPAM;
  /* A correction that replaced its scan row counts as that scan, with the verdict it had. */
  gboolean scanned = r->verdict == SS_VERDICT_SPAM || r->verdict == SS_VERDICT_HAM ||
                     r->verdict == SS_VERDICT_UNCERTAIN || (learned && replaced_scan);
  gboolean judged_spam = r->verdict == SS_VERDICT_SPAM || r->verdict == SS_VERDICT_LEARNED_HAM;

  if (!scanned && !learned)
    {
      c->other++;       /* skipped, unscanned, expired */
      return;
    }
  if (scanned)
    {
      c->scanned++;
      if (judged_spam)
        c->spam++;
      else
        c->ham++;
    }
  if (learned)
    {
      c->learned++;
      if (r->verdict == SS_VERDICT_LEARNED_HAM)
        c->false_positives++;
      else
        c->false_negatives++;
    }
}

static void
recount (SsStats *self)
{
  g_autoptr(GHashTable) scanned_ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) verdicts = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 midnight = local_midnight ();
  guint n = self->model != NULL ? g_list_model_get_n_items (self->model) : 0;

  memset (&self->today, 0, sizeof self->today);
  memset (&self->total, 0, sizeof self->total);

  for (guint i = 0; i < n; i++)
    {
      SsVerdict *verdict = g_list_model_get_item (self->model, i);
      const SsRecord *r = ss_verdict_get_record (verdict);

      g_ptr_array_add (verdicts, verdict);
      if ((r->verdict == SS_VERDICT_SPAM || r->verdict == SS_VERDICT_HAM ||
           r->verdict == SS_VERDICT_UNCERTAIN) &&
          r->message_id != NULL && *r->message_id != '\0')
        g_hash_table_add (scanned_ids, r->message_id);
    }

  for (guint i = 0; i < verdicts->len; i++)
    {
      const SsRecord *r = ss_verdict_get_record (g_ptr_array_index (verdicts, i));
      gboolean replaced = (r->verdict == SS_VERDICT_LEARNED_HAM ||
                           r->verdict == SS_VERDICT_LEARNED_SPAM) &&
                          (r->message_id == NULL || *r->message_id == '\0' ||
                           !g_hash_table_contains (scanned_ids, r->message_id));

      count_one (&self->total, r, replaced);
      if (r->time >= midnight)
        count_one (&self->today, r, replaced);
    }

  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = PROP_TODAY_TEXT; i < N_PROPS; i++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
recount_idle (gpointer data)
{
  SsStats *self = data;

  self->idle_id = 0;
  recount (self);
  return G_SOURCE_REMOVE;
}

static gboolean
recount_timer (gpointer data)
{
  recount (data);
  return G_SOURCE_CONTINUE;
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  SsStats    *self)
{
  if (self->idle_id == 0)
    self->idle_id = g_idle_add_full (G_PRIORITY_LOW, recount_idle, self, NULL);
}

/* "12 scanned" */
static char *
format_count (const SsCounts *c)
{
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u scanned", "%u scanned", c->scanned),
                          c->scanned);
}

/* "3 spam · 9 ham · 1 learned" */
static char *
format_detail (const SsCounts *c)
{
  g_autofree char *spam = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u spam", "%u spam",
                                                        c->spam), c->spam);
  g_autofree char *ham = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u ham", "%u ham",
                                                       c->ham), c->ham);
  g_autofree char *learned = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u learned",
                                                           "%u learned", c->learned),
                                              c->learned);

  return g_strjoin (" · ", spam, ham, learned, NULL);
}

/* "12 scanned · 3 spam · 9 ham · 1 learned" */
static char *
format_counts (const SsCounts *c)
{
  g_autofree char *count = format_count (c);
  g_autofree char *detail = format_detail (c);

  return g_strjoin (" · ", count, detail, NULL);
}

/* "2 false positives" and "1 false negative" */
static void
format_corrections (const SsCounts  *c,
                    char           **fp,
                    char           **fn)
{
  *fp = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u false positive",
                                      "%u false positives", c->false_positives),
                         c->false_positives);
  *fn = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u false negative",
                                      "%u false negatives", c->false_negatives),
                         c->false_negatives);
}

static char *
format_accuracy_value (SsStats *self)
{
  double accuracy = ss_stats_get_accuracy (self);

  if (accuracy < 0)
    return g_strdup ("—");
  /* TRANSLATORS: a percentage, e.g. "98.5 %" */
  return g_strdup_printf (_("%.*f %%"), accuracy >= 99.95 || accuracy == 0 ? 0 : 1, accuracy);
}

static char *
format_accuracy_detail (SsStats *self)
{
  const SsCounts *c = &self->total;
  g_autofree char *fp = NULL;
  g_autofree char *fn = NULL;

  if (c->scanned == 0)
    return g_strdup (_("No verdicts yet"));
  if (c->learned == 0)
    return g_strdup (_("No corrections"));
  format_corrections (c, &fp, &fn);
  return g_strjoin (", ", fp, fn, NULL);
}

static char *
format_accuracy (SsStats *self)
{
  double accuracy = ss_stats_get_accuracy (self);
  const SsCounts *c = &self->total;
  g_autofree char *fp = NULL;
  g_autofree char *fn = NULL;

  if (accuracy < 0)
    return g_strdup (_("No verdicts yet"));
  if (c->learned == 0)
    /* TRANSLATORS: accuracy in percent, e.g. "100 % correct · no corrections" */
    return g_strdup_printf (_("%.0f %% correct · no corrections"), accuracy);
  format_corrections (c, &fp, &fn);
  /* TRANSLATORS: e.g. "98.5 % correct · 2 false positives, 1 false negative" */
  return g_strdup_printf (_("%.1f %% correct · %s, %s"), accuracy, fp, fn);
}

static char *
format_summary (SsStats *self)
{
  const SsCounts *c = &self->today;

  /* TRANSLATORS: tray tooltip line, e.g. "Today: 40 scanned, 12 spam" */
  return g_strdup_printf (_("Today: %u scanned, %u spam"), c->scanned, c->spam);
}

static void
ss_stats_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  SsStats *self = SS_STATS (object);

  switch (prop_id)
    {
    case PROP_MODEL: g_value_set_object (value, self->model); break;
    case PROP_TODAY_TEXT: g_value_take_string (value, format_counts (&self->today)); break;
    case PROP_TOTAL_TEXT: g_value_take_string (value, format_counts (&self->total)); break;
    case PROP_ACCURACY_TEXT: g_value_take_string (value, format_accuracy (self)); break;
    case PROP_TODAY_COUNT_TEXT: g_value_take_string (value, format_count (&self->today)); break;
    case PROP_TODAY_DETAIL_TEXT: g_value_take_string (value, format_detail (&self->today)); break;
    case PROP_TOTAL_COUNT_TEXT: g_value_take_string (value, format_count (&self->total)); break;
    case PROP_TOTAL_DETAIL_TEXT: g_value_take_string (value, format_detail (&self->total)); break;
    case PROP_ACCURACY_VALUE_TEXT:
      g_value_take_string (value, format_accuracy_value (self));
      break;
    case PROP_ACCURACY_DETAIL_TEXT:
      g_value_take_string (value, format_accuracy_detail (self));
      break;
    case PROP_SUMMARY_TEXT: g_value_take_string (value, format_summary (self)); break;
    case PROP_TODAY_SCANNED: g_value_set_uint (value, self->today.scanned); break;
    case PROP_TODAY_SPAM: g_value_set_uint (value, self->today.spam); break;
    case PROP_TOTAL_SCANNED: g_value_set_uint (value, self->total.scanned); break;
    case PROP_ACCURACY: g_value_set_double (value, ss_stats_get_accuracy (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_stats_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_MODEL: ss_stats_set_model (SS_STATS (object), g_value_get_object (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_stats_dispose (GObject *object)
{
  SsStats *self = SS_STATS (object);

  ss_stats_set_model (self, NULL);
  g_clear_handle_id (&self->idle_id, g_source_remove);
  g_clear_handle_id (&self->timer_id, g_source_remove);
  G_OBJECT_CLASS (ss_stats_parent_class)->dispose (object);
}

static void
ss_stats_class_init (SsStatsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags read_only = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS |
                                G_PARAM_EXPLICIT_NOTIFY;
  static const char * const count_properties[N_PROPS] = {
    [PROP_TODAY_SCANNED] = "today-scanned",
    [PROP_TODAY_SPAM] = "today-spam",
    [PROP_TOTAL_SCANNED] = "total-scanned",
  };

  /* Before installing: GLib checks writable properties against set_property. */
  object_class->get_property = ss_stats_get_property;
  object_class->set_property = ss_stats_set_property;
  object_class->dispose = ss_stats_dispose;
  properties[PROP_MODEL] = g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL,
                                                read_only | G_PARAM_WRITABLE);
  for (guint i = PROP_TODAY_TEXT; i <= PROP_SUMMARY_TEXT; i++)
    properties[i] = g_param_spec_string (text_properties[i], NULL, NULL, NULL, read_only);
  for (guint i = PROP_TODAY_SCANNED; i <= PROP_TOTAL_SCANNED; i++)
    properties[i] = g_param_spec_uint (count_properties[i], NULL, NULL, 0, G_MAXUINT, 0,
                                       read_only);
  properties[PROP_ACCURACY] = g_param_spec_double ("accuracy", NULL, NULL, -1, 100, -1,
                                                   read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ss_stats_init (SsStats *self)
{
  self->timer_id = g_timeout_add_seconds (RECOUNT_EVERY_S, recount_timer, self);
}

SsStats *
ss_stats_new (void)
{
  return g_object_new (SS_TYPE_STATS, NULL);
}

void
ss_stats_set_model (SsStats    *self,
                    GListModel *model)
{
  g_return_if_fail (SS_IS_STATS (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;
  if (self->model != NULL)
    g_clear_signal_handler (&self->items_changed_id, self->model);
  g_set_object (&self->model, model);
  if (model != NULL)
    self->items_changed_id = g_signal_connect (model, "items-changed",
                                               G_CALLBACK (on_items_changed), self);
  recount (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

GListModel *
ss_stats_get_model (SsStats *self)
{
  g_return_val_if_fail (SS_IS_STATS (self), NULL);
  return self->model;
}

void
ss_stats_update (SsStats *self)
{
  g_return_if_fail (SS_IS_STATS (self));
  g_clear_handle_id (&self->idle_id, g_source_remove);
  recount (self);
}

const SsCounts *
ss_stats_get_today (SsStats *self)
{
  g_return_val_if_fail (SS_IS_STATS (self), NULL);
  return &self->today;
}

const SsCounts *
ss_stats_get_total (SsStats *self)
{
  g_return_val_if_fail (SS_IS_STATS (self), NULL);
  return &self->total;
}

double
ss_stats_get_accuracy (SsStats *self)
{
  const SsCounts *c;

  g_return_val_if_fail (SS_IS_STATS (self), -1);
  c = &self->total;
  if (c->scanned == 0)
    return -1;
  if (c->learned >= c->scanned)
    return 0;
  return 100.0 * (c->scanned - c->learned) / c->scanned;
}
