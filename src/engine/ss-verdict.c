#define G_LOG_DOMAIN "ss-verdict"

#include "config.h"

#include "ss-verdict.h"

#include <stdlib.h>

struct _SsVerdict
{
  GObject   parent_instance;
  SsRecord *record;
  gboolean  busy;
};

G_DEFINE_FINAL_TYPE (SsVerdict, ss_verdict, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TIME,
  PROP_TIME_TEXT,
  PROP_FROM,
  PROP_SUBJECT,
  PROP_MESSAGE_ID,
  PROP_SCORE,
  PROP_THRESHOLD,
  PROP_SCANNED,
  PROP_SCORE_TEXT,
  PROP_VERDICT,
  PROP_DESTINATION,
  PROP_RULES,
  PROP_RULES_TEXT,
  PROP_IS_SPAM,
  PROP_CAN_MARK_SPAM,
  PROP_CAN_MARK_HAM,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_spam (const SsRecord *r)
{
  return r->verdict == SS_VERDICT_SPAM || r->verdict == SS_VERDICT_LEARNED_SPAM;
}

static gboolean
can_mark (SsVerdict *self,
          gboolean   as_spam)
{
  const SsRecord *r = self->record;

  /* Only mail that is somewhere we know, and not already where the mark would put it. */
  if (self->busy || r->dry_run || r->verdict == SS_VERDICT_EXPIRED || r->dest_uid == 0)
    return FALSE;
  /* Uncertain mail is offered both ways, one click each. */
  if (r->verdict == SS_VERDICT_UNCERTAIN)
    return TRUE;
  return as_spam ? !is_spam (r) : is_spam (r);
}

char *
ss_verdict_format_time (gint64 time)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (time);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (dt == NULL)
    return g_strdup ("");
  if (g_date_time_get_year (dt) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (dt) == g_date_time_get_day_of_year (now))
    return g_date_time_format (dt, "%H:%M");
  return g_date_time_format (dt, "%x %H:%M");
}

static void
ss_verdict_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  SsVerdict *self = SS_VERDICT (object);
  const SsRecord *r = self->record;

  switch (prop_id)
    {
    case PROP_TIME: g_value_set_int64 (value, r->time); break;
    case PROP_TIME_TEXT: g_value_take_string (value, ss_verdict_format_time (r->time)); break;
    case PROP_FROM: g_value_set_string (value, r->from); break;
    case PROP_SUBJECT: g_value_set_string (value, r->subject); break;
    case PROP_MESSAGE_ID: g_value_set_string (value, r->message_id); break;
    case PROP_SCORE: g_value_set_double (value, r->score); break;
    case PROP_THRESHOLD: g_value_set_double (value, r->threshold); break;
    case PROP_SCANNED: g_value_set_boolean (value, r->scanned); break;
    case PROP_SCORE_TEXT:
      g_value_take_string (value, r->scanned ? g_strdup_printf ("%.1f", r->score)
                                             : g_strdup ("—"));
      break;
    case PROP_VERDICT: g_value_set_string (value, ss_verdict_kind_to_string (r->verdict)); break;
    case PROP_DESTINATION: g_value_set_string (value, r->destination); break;
    case PROP_RULES: g_value_set_boxed (value, r->rules); break;
    case PROP_RULES_TEXT:
      g_value_take_string (value, r->rules ? g_strjoinv (", ", r->rules) : g_strdup (""));
      break;
    case PROP_IS_SPAM: g_value_set_boolean (value, is_spam (r)); break;
    case PROP_CAN_MARK_SPAM: g_value_set_boolean (value, can_mark (self, TRUE)); break;
    case PROP_CAN_MARK_HAM: g_value_set_boolean (value, can_mark (self, FALSE)); break;
    case PROP_BUSY: g_value_set_boolean (value, self->busy); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_verdict_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  SsVerdict *self = SS_VERDICT (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      if (self->busy != g_value_get_boolean (value))
        {
          self->busy = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, properties[PROP_BUSY]);
          g_object_notify_by_pspec (object, properties[PROP_CAN_MARK_SPAM]);
          g_object_notify_by_pspec (object, properties[PROP_CAN_MARK_HAM]);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ss_verdict_finalize (GObject *object)
{
  g_clear_pointer (&SS_VERDICT (object)->record, ss_record_free);
  G_OBJECT_CLASS (ss_verdict_parent_class)->finalize (object);
}

#define RO (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)

static void
ss_verdict_class_init (SsVerdictClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ss_verdict_get_property;
  object_class->set_property = ss_verdict_set_property;
  object_class->finalize = ss_verdict_finalize;

  properties[PROP_TIME] = g_param_spec_int64 ("time", NULL, NULL, 0, G_MAXINT64, 0, RO);
  properties[PROP_TIME_TEXT] = g_param_spec_string ("time-text", NULL, NULL, NULL, RO);
  properties[PROP_FROM] = g_param_spec_string ("from", NULL, NULL, NULL, RO);
  properties[PROP_SUBJECT] = g_param_spec_string ("subject", NULL, NULL, NULL, RO);
  properties[PROP_MESSAGE_ID] = g_param_spec_string ("message-id", NULL, NULL, NULL, RO);
  properties[PROP_SCORE] = g_param_spec_double ("score", NULL, NULL, -G_MAXDOUBLE,
                                                G_MAXDOUBLE, 0, RO);
  properties[PROP_THRESHOLD] = g_param_spec_double ("threshold", NULL, NULL, -G_MAXDOUBLE,
                                                    G_MAXDOUBLE, 0, RO);
  properties[PROP_SCANNED] = g_param_spec_boolean ("scanned", NULL, NULL, FALSE, RO);
  properties[PROP_SCORE_TEXT] = g_param_spec_string ("score-text", NULL, NULL, NULL, RO);
  properties[PROP_VERDICT] = g_param_spec_string ("verdict", NULL, NULL, NULL, RO);
  properties[PROP_DESTINATION] = g_param_spec_string ("destination", NULL, NULL, NULL, RO);
  properties[PROP_RULES] = g_param_spec_boxed ("rules", NULL, NULL, G_TYPE_STRV, RO);
  properties[PROP_RULES_TEXT] = g_param_spec_string ("rules-text", NULL, NULL, NULL, RO);
  properties[PROP_IS_SPAM] = g_param_spec_boolean ("is-spam", NULL, NULL, FALSE, RO);
  properties[PROP_CAN_MARK_SPAM] = g_param_spec_boolean ("can-mark-spam", NULL, NULL, FALSE,
                                                         RO);
  properties[PROP_CAN_MARK_HAM] = g_param_spec_boolean ("can-mark-ham", NULL, NULL, FALSE, RO);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                                                G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ss_verdict_init (SsVerdict *self)
{
}

SsVerdict *
ss_verdict_new (const SsRecord *record)
{
  SsVerdict *self;

  g_return_val_if_fail (record != NULL, NULL);

  self = g_object_new (SS_TYPE_VERDICT, NULL);
  self->record = ss_record_copy (record);
  return self;
}

const SsRecord *
ss_verdict_get_record (SsVerdict *self)
{
  g_return_val_if_fail (SS_IS_VERDICT (self), NULL);
  return self->record;
}

void
ss_verdict_update (SsVerdict      *self,
                   const SsRecord *record)
{
  g_return_if_fail (SS_IS_VERDICT (self));

  g_clear_pointer (&self->record, ss_record_free);
  self->record = ss_record_copy (record);
  for (guint i = 1; i < N_PROPS; i++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[i]);
}

char *
ss_verdict_dup_key (SsVerdict *self)
{
  const SsRecord *r;

  g_return_val_if_fail (SS_IS_VERDICT (self), NULL);
  r = self->record;
  return g_strdup_printf ("%u:%u:%s", r->dest_uidvalidity, r->dest_uid, r->destination);
}

gboolean
ss_verdict_parse_key (const char *key,
                      char      **folder,
                      guint32    *uidvalidity,
                      guint32    *uid)
{
  g_auto(GStrv) parts = g_strsplit (key, ":", 3);
  guint64 v, u;

  if (g_strv_length (parts) != 3 || *parts[2] == '\0' ||
      !g_ascii_string_to_unsigned (parts[0], 10, 1, G_MAXUINT32, &v, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, G_MAXUINT32, &u, NULL))
    return FALSE;
  *folder = g_strdup (parts[2]);
  *uidvalidity = v;
  *uid = u;
  return TRUE;
}
