/* ss-stats.h: counts and accuracy computed from the verdict list */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define SS_TYPE_STATS (ss_stats_get_type ())
G_DECLARE_FINAL_TYPE (SsStats, ss_stats, SS, STATS, GObject)

typedef struct
{
  guint scanned;        /* messages SpamAssassin gave a verdict for */
  guint spam;           /* of those, judged spam */
  guint ham;            /* of those, judged ham */
  guint learned;        /* corrections: false_positives + false_negatives */
  guint false_positives;/* learned as ham (was caught as spam) */
  guint false_negatives;/* learned as spam (got through as ham) */
  guint other;          /* skipped, unscanned, expired */
} SsCounts;

SsStats        *ss_stats_new            (void);
/* A GListModel of SsVerdict (or NULL). Recounted on changes (coalesced). */
void            ss_stats_set_model      (SsStats      *self,
                                         GListModel   *model);
GListModel     *ss_stats_get_model      (SsStats      *self);
/* Recount now (after a mark changed a row in place). */
void            ss_stats_update         (SsStats      *self);
const SsCounts *ss_stats_get_today      (SsStats      *self);
const SsCounts *ss_stats_get_total      (SsStats      *self);
/* Percentage of scanned messages that needed no correction; -1 when nothing was scanned. */
double          ss_stats_get_accuracy   (SsStats      *self);

/* Properties (read-only, notified together after a recount): "today-text", "total-text",
 * "accuracy-text" (one line each), for the window's cards "today-count-text" ("6 scanned"),
 * "today-detail-text" ("3 spam · 3 ham · 0 learned"), "total-count-text",
 * "total-detail-text", "accuracy-value-text" ("98.5 %"), "accuracy-detail-text",
 * "summary-text" (one line for the tray), "today-scanned", "today-spam", "total-scanned",
 * "accuracy" (double, -1 = unknown). */

G_END_DECLS
