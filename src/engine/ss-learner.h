/* ss-learner.h: the personal learner: online logistic regression on hashed byte 4-grams of
 * the first 6 KB of a message (Goodman & Yih 2006; Cormack's TREC filters), learning only
 * from this user's mail. Pure computation plus a crash-safe model file; no I/O otherwise.
 * Not thread-safe: one thread (or a lock) per learner. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define SS_LEARNER_ERROR (ss_learner_error_quark ())

/* Load errors: all but IO mean "this file is not a usable model": keep it aside, start anew. */
typedef enum {
  SS_LEARNER_ERROR_IO,         /* read/write failed (disk full, permissions) */
  SS_LEARNER_ERROR_TRUNCATED,  /* shorter than its header says */
  SS_LEARNER_ERROR_FOREIGN,    /* not a model file (wrong magic) */
  SS_LEARNER_ERROR_VERSION,    /* a model of another version or shape */
  SS_LEARNER_ERROR_CORRUPT,    /* checksum mismatch or impossible values */
} SsLearnerError;

#define SS_LEARNER_PREFIX        6144   /* bytes of the message looked at (CRs skipped) */
#define SS_LEARNER_NGRAM         4
#define SS_LEARNER_DEFAULT_BITS  20     /* 2^20 float weights: a 4 MiB model file */
#define SS_LEARNER_MIN_BITS      8
#define SS_LEARNER_MAX_BITS      22     /* largest model: 16 MiB */
#define SS_LEARNER_DEFAULT_RATE  0.005  /* best of 0.002..0.1 in tools/learner-replay */
#define SS_LEARNER_DEFAULT_TRAIN_MARGIN  G_MAXDOUBLE   /* train on every message */

/* Log-odds per spamd point above (or below) its required score, in ss_learner_fuse().
 * Fixed beforehand; on held-out mail with spamd without Bayes, 0.5 ranked a little better and
 * 2 worse (tools/learner-replay --spamd): to be measured again with Bayes on. */
#define SS_LEARNER_SPAMD_LOGODDS_PER_POINT 1.0

#define SS_TYPE_LEARNER (ss_learner_get_type ())

typedef struct _SsLearner SsLearner;

GType        ss_learner_get_type        (void) G_GNUC_CONST;
GQuark       ss_learner_error_quark     (void) G_GNUC_CONST;

SsLearner   *ss_learner_new             (void);
/* 2^bits weights, bits in [SS_LEARNER_MIN_BITS, SS_LEARNER_MAX_BITS]. */
SsLearner   *ss_learner_new_full        (guint            bits);
SsLearner   *ss_learner_ref             (SsLearner       *self);
void         ss_learner_unref           (SsLearner       *self);

/* Tuning (not stored in the model file): the step size, and the margin up to which a
 * message is learned (y * margin <= train_margin; G_MAXDOUBLE = always, 0 = errors only). */
void         ss_learner_set_rate        (SsLearner       *self,
                                         double           rate);
void         ss_learner_set_train_margin (SsLearner      *self,
                                         double           train_margin);

/* The learner's verdict as log-odds of spam (0 = no opinion, e.g. when untrained). */
double       ss_learner_score           (SsLearner       *self,
                                         const guint8    *msg,
                                         gsize            len);
/* One online step towards the true label; returns whether the weights changed. */
gboolean     ss_learner_learn           (SsLearner       *self,
                                         const guint8    *msg,
                                         gsize            len,
                                         gboolean         is_spam);

guint64      ss_learner_get_n_ham       (SsLearner       *self);   /* messages learned */
guint64      ss_learner_get_n_spam      (SsLearner       *self);
guint64      ss_learner_get_n_updates   (SsLearner       *self);   /* of which changed weights */
guint        ss_learner_get_bits        (SsLearner       *self);

/* Log-odds to probability, without overflow. */
double       ss_learner_probability     (double           margin);

/* The fused spam probability in [0, 1]: a fixed sum of log-odds. spamd's score maps to
 * (score - required) * SS_LEARNER_SPAMD_LOGODDS_PER_POINT, so a score at spamd's threshold is
 * even odds and each point is one unit of log-odds (about x2.7 the odds); the learner's
 * margin is added as is. A NaN spamd_score (not scanned) leaves the learner alone. */
double       ss_learner_fuse            (double           spamd_score,
                                         double           spamd_required,
                                         double           learner_margin);
/* The same sum as log-odds (finite unless an input is infinite), with a chosen weight of a
 * spamd point: for ranking without saturation, and for measuring other weights. */
double       ss_learner_fuse_logodds    (double           spamd_score,
                                         double           spamd_required,
                                         double           learner_margin,
                                         double           logodds_per_point);

/* The model file: a 64-byte header (magic, version, shape, counts), the weights as
 * little-endian float32, a SHA-256 of all that. Its exact size for 2^bits weights: */
gsize        ss_learner_file_size       (guint            bits);
GBytes      *ss_learner_serialize       (SsLearner       *self);
SsLearner   *ss_learner_new_from_data   (const guint8    *data,
                                         gsize            len,
                                         GError         **error);

/* Crash-safe: writes path.tmp in the same folder, fsyncs, renames over path. A crash at any
 * point leaves the previous model (or none). SS_DEBUG_LEARNER_CRASH=write|rename in the
 * environment makes the process exit mid-write or just before the rename (for tests). */
gboolean     ss_learner_save            (SsLearner       *self,
                                         const char      *path,
                                         GError         **error);
/* G_FILE_ERROR_NOENT when there is no model yet; SS_LEARNER_ERROR for an unusable file. */
SsLearner   *ss_learner_load            (const char      *path,
                                         GError         **error);
/* Load, or a new learner when there is no file; an unusable file is renamed to
 * path.corrupt-TIME (kept for inspection) and a new learner returned. NULL only on I/O
 * errors (e.g. unreadable folder). */
SsLearner   *ss_learner_open            (const char      *path,
                                         GError         **error);

/* $XDG_DATA_HOME/spamsieve/learner-ACCOUNT.model (ACCOUNT escaped for a file name). */
char        *ss_learner_default_path    (const char      *account);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsLearner, ss_learner_unref)

G_END_DECLS
