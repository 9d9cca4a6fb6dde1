/* ss-decision.h: the verdict from spamd's score and the personal learner's margin, fused.
 * Pure computation: one function, no state. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SS_DECISION_HAM,
  SS_DECISION_SPAM,
  SS_DECISION_UNCERTAIN,
} SsDecisionKind;

typedef struct
{
  double          combined;  /* fused spam probability in [0, 1] */
  SsDecisionKind  kind;
} SsDecision;

/* Defaults of [filter] threshold and uncertain-band, in percent (see README). */
#define SS_DECISION_DEFAULT_THRESHOLD  50
#define SS_DECISION_DEFAULT_BAND       20

/* spamd_score: NaN when spamd gave none (the learner alone decides). learner_margin: the
 * learner's log-odds (0: no learner or no opinion). threshold: the fused probability from
 * which mail is spam, in (0, 1). band: half-width in probability of the uncertain band
 * around the threshold (0: off); |combined - threshold| < band is uncertain. */
SsDecision  ss_decide  (double  spamd_score,
                        double  spamd_required,
                        double  learner_margin,
                        double  threshold,
                        double  band);

G_END_DECLS
