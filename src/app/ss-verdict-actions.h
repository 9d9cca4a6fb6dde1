/* ss-verdict-actions.h: the "Not spam" / "Spam" button of a verdict row */
#pragma once

#include <gtk/gtk.h>

#include "ss-verdict.h"

G_BEGIN_DECLS

#define SS_TYPE_VERDICT_ACTIONS (ss_verdict_actions_get_type ())
G_DECLARE_FINAL_TYPE (SsVerdictActions, ss_verdict_actions, SS, VERDICT_ACTIONS, GtkWidget)

SsVerdict *ss_verdict_actions_get_verdict (SsVerdictActions *self);
void       ss_verdict_actions_set_verdict (SsVerdictActions *self,
                                           SsVerdict        *verdict);

G_END_DECLS
