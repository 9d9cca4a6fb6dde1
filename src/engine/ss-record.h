/* ss-record.h: one message handled by the engine (a line of --json, a row of history) */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  SS_VERDICT_SPAM,
  SS_VERDICT_HAM,
  SS_VERDICT_SKIPPED,       /* larger than max-size: delivered unscanned to INBOX */
  SS_VERDICT_UNSCANNED,     /* could not be scanned after repeated tries: INBOX */
  SS_VERDICT_LEARNED_HAM,
  SS_VERDICT_LEARNED_SPAM,
  SS_VERDICT_EXPIRED,
  SS_VERDICT_UNCERTAIN,     /* fused verdict close to the threshold: [filter] uncertain-action */
} SsVerdictKind;

typedef struct
{
  gint64     time;              /* when handled, seconds since the epoch */
  char      *folder;            /* where it was */
  guint32    uidvalidity;
  guint32    uid;
  char      *message_id;
  char      *from;
  char      *subject;
  gboolean   scanned;           /* score/threshold/rules are meaningful */
  double     score;
  double     threshold;
  char     **rules;
  double     combined;          /* fused spam probability in [0, 1]; NaN when not known */
  double     logodds;           /* combined in log-odds; NaN when not known */
  double     learner;           /* the personal learner's log-odds; NaN when it had no say */
  SsVerdictKind  verdict;
  char      *destination;       /* folder it went to; "" when deleted */
  guint32    dest_uidvalidity;  /* 0 when unknown */
  guint32    dest_uid;
  gboolean   dry_run;           /* nothing was moved */
} SsRecord;

#define SS_TYPE_RECORD (ss_record_get_type ())
GType       ss_record_get_type    (void) G_GNUC_CONST;

const char *ss_verdict_kind_to_string  (SsVerdictKind       verdict);
gboolean    ss_verdict_kind_from_string (const char     *str,
                                    SsVerdictKind      *out);
SsRecord   *ss_record_new         (void);
SsRecord   *ss_record_copy        (const SsRecord  *record);
void        ss_record_free        (SsRecord        *record);
/* One JSON object, no newline. Strings are valid UTF-8 (invalid bytes replaced). */
char       *ss_record_to_json     (const SsRecord  *record);
/* JSON string literal with quotes, for other JSON writers. */
void        ss_json_append_string (GString         *out,
                                   const char      *str);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SsRecord, ss_record_free)

G_END_DECLS
